-- POST /predict with one image as examples/predict takes it ({"image": "<base64 PNG>"}; the body is
-- bench/scripts/predict-body.json, a held-out 16x16 digit, examples/predict/model/holdout/000-2.png):
--   wrk ... -s bench/scripts/predict.lua http://127.0.0.1:8000/predict     (run from the repository root)
local file = assert(io.open("bench/scripts/predict-body.json", "r"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = file:read("*a")
file:close()
