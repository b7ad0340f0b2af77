import hashlib
import os

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def form(request):
    return JsonResponse({"name": request.POST["name"], "tags": request.POST.getlist("tag")})


@csrf_exempt
def upload(request):
    files = {}
    for key, f in request.FILES.items():
        data = f.read()
        files[key] = {"filename": f.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return JsonResponse({"files": files, "fields": request.POST.dict()})


def stream(request):
    n = int(request.GET.get("n", "5"))
    return StreamingHttpResponse(("row %d\n" % i for i in range(n)), content_type="text/plain")


def cookie_set(request):
    resp = HttpResponse("set")
    resp.set_cookie("flavour", "chocolate chip")
    return resp


def cookie_get(request):
    return JsonResponse(dict(request.COOKIES))


def go(request):
    return HttpResponseRedirect("/target/?q=2")


def target(request):
    return HttpResponse("target reached q=%s" % request.GET.get("q"))


def a_file(request):
    return FileResponse(open(os.environ["FILE_TO_SERVE"], "rb"), content_type="application/octet-stream")


def meta(request):
    return JsonResponse({"path": request.path, "path_info": request.path_info,
                         "script_name": request.META.get("SCRIPT_NAME"),
                         "host": request.get_host(), "scheme": request.scheme})
