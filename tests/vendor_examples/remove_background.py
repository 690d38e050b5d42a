# ruff: noqa
# image-without-background-base64.txt, "Python (requests)".
import base64
import os
import requests

API_KEY = os.environ["WITHOUTBG_API_KEY"]

with open("input.jpg", "rb") as f:
    b64 = base64.b64encode(f.read()).decode("utf-8")

resp = requests.post(
    "https://api.withoutbg.com/v1.0/image-without-background-base64",
    headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
    json={"image_base64": b64},
    timeout=60,
)
resp.raise_for_status()

out_b64 = resp.json()["img_without_background_base64"]
with open("output.png", "wb") as out:
    out.write(base64.b64decode(out_b64))
