"""FastAPI peer: /plaintext and /json (TechEmpower's definitions).  uvicorn --app-dir bench/peers/fastapi app:app"""

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext():
    return "Hello, World!"


@app.get("/json")
async def json():
    return {"message": "Hello, World!"}
