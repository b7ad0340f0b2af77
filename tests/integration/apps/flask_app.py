"""A Flask app for tests/integration/test_frameworks.py: forms, multipart
uploads, streaming, cookies, redirects, send_file (wsgi.file_wrapper)."""
import hashlib
import os

from flask import Flask, Response, jsonify, make_response, redirect, request, send_file, stream_with_context, url_for

app = Flask(__name__)


@app.route("/form", methods=["POST"])
def form():
    return jsonify(name=request.form["name"], tags=request.form.getlist("tag"),
                   script_root=request.script_root, path=request.path)


@app.route("/upload", methods=["POST"])
def upload():
    files = {}
    for key, f in request.files.items(multi=True):
        data = f.read()
        files[key] = {"filename": f.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                      "content_type": f.content_type}
    return jsonify(files=files, fields=request.form.to_dict())


@app.route("/stream")
def stream():
    n = int(request.args.get("n", "5"))

    def gen():
        for i in range(n):
            yield "chunk %d of %s\n" % (i, request.args.get("n", "5"))
    return Response(stream_with_context(gen()), mimetype="text/plain")


@app.route("/cookie/set")
def cookie_set():
    resp = make_response("set")
    resp.set_cookie("flavour", "oatmeal raisin")
    resp.set_cookie("session_id", "abc123", httponly=True)
    return resp


@app.route("/cookie/get")
def cookie_get():
    return jsonify(dict(request.cookies))


@app.route("/redirect")
def go():
    return redirect(url_for("target", q="1"))


@app.route("/target")
def target():
    return "target reached q=%s" % request.args.get("q")


@app.route("/file")
def a_file():
    return send_file(os.environ["FILE_TO_SERVE"], mimetype="application/octet-stream")


@app.route("/json", methods=["POST"])
def echo_json():
    return jsonify(received=request.get_json(), url=request.url)
