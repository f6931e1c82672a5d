"""The articles' ramp-up run, headless: GET /users/ by simulated users with no think time, ramping to 100
users over 25 s, holding 20 s, ramping to 500 over 25 s, holding 20 s.

    locust -f bench/scripts/locustfile.py --headless --host http://127.0.0.1:8000 --csv OUT --only-summary
"""

from locust import FastHttpUser, LoadTestShape, constant, task

STAGES = [  # (ends at second, users, spawn rate per second)
    (25, 100, 4),
    (45, 100, 4),
    (70, 500, 16),
    (90, 500, 16),
]


class UsersApiUser(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 10.0
    connection_timeout = 10.0

    @task
    def list_users(self):
        self.client.get("/users/")


class RampTo100Then500(LoadTestShape):
    def tick(self):
        t = self.get_run_time()
        for end, users, rate in STAGES:
            if t < end:
                return users, rate
        return None
