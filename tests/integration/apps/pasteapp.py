"""A PasteDeploy app factory for the --paste tests."""


def make_app(global_conf, greeting="default"):
    def app(environ, start_response):
        body = greeting.encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    return app
