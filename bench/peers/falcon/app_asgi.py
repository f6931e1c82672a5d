"""Python Falcon peer as an ASGI app (for uvicorn): /plaintext and /json, TechEmpower's definitions.

    uvicorn --app-dir bench/peers/falcon app_asgi:app --port 8005
"""

import falcon
import falcon.asgi


class Plaintext:
    async def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Json:
    async def on_get(self, req, resp):
        resp.media = {"message": "Hello, World!"}


app = falcon.asgi.App()
app.add_route("/plaintext", Plaintext())
app.add_route("/json", Json())
