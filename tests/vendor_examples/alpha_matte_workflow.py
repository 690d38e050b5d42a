# ruff: noqa
# alpha-channel-base64.txt, "Recommended workflow — Python".
from PIL import Image
import base64, io, os, requests

API_KEY = os.environ["WITHOUTBG_API_KEY"]

# 1. Keep original
orig = Image.open("input.jpg").convert("RGB")
orig_w, orig_h = orig.size

# 2. Resize proxy to max 1024px, encode JPEG q=90
scale = min(1.0, 1024 / max(orig_w, orig_h))
proxy = orig.resize((round(orig_w * scale), round(orig_h * scale)), Image.LANCZOS)
buf = io.BytesIO()
proxy.save(buf, format="JPEG", quality=90)
img_b64 = base64.b64encode(buf.getvalue()).decode()

# 3. Call the API
r = requests.post(
    "https://api.withoutbg.com/v1.0/alpha-channel-base64",
    headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
    json={"image_base64": img_b64},
    timeout=60,
)
r.raise_for_status()

# 4. Decode matte and upscale to original dimensions
matte_bytes = base64.b64decode(r.json()["alpha_base64"])
matte = Image.open(io.BytesIO(matte_bytes)).convert("L")
matte = matte.resize((orig_w, orig_h), Image.BICUBIC)

# 5. Apply straight alpha to original
orig.putalpha(matte)
orig.save("output.png")
