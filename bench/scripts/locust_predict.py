"""The deep-learning article's load test, headless: 200 simulated users posting one image each to
POST /predict with no think time (the body is bench/scripts/predict-body.json, as wrk sends it).

    locust -f bench/scripts/locust_predict.py --headless --host http://127.0.0.1:8000 -u 200 -r 50 -t 30s \
        --only-summary
"""

import os

from locust import FastHttpUser, constant, task

BODY = open(os.path.join(os.path.dirname(__file__), "predict-body.json"), "rb").read()


class PredictUser(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 10.0
    connection_timeout = 10.0

    @task
    def predict(self):
        self.client.post("/predict", data=BODY, headers={"Content-Type": "application/json"})
