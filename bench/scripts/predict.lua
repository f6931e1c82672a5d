-- POST /predict with one image (the first held-out sample of examples/predict/model/samples.json):
--   wrk ... -s bench/scripts/predict.lua http://127.0.0.1:8000/predict
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":[[0,0,11,16,15,3,0,0,0,5,16,12,11,13,0,0,0,3,13,1,5,15,0,0,0,0,0,0,12,11,0,0,0,0,0,1,16,7,0,0,0,0,0,10,15,0,0,0,0,0,12,16,16,11,1,0,0,0,13,13,8,13,16,8]]}'
