from django.urls import path

from djproj import views

urlpatterns = [
    path("form/", views.form),
    path("upload/", views.upload),
    path("stream/", views.stream),
    path("cookie/set/", views.cookie_set),
    path("cookie/get/", views.cookie_get),
    path("redirect/", views.go),
    path("target/", views.target),
    path("file/", views.a_file),
    path("meta/", views.meta),
]
