# image-without-background-base64.txt, "cURL (from an image file to Base64 on the fly)".
# macOS/Linux example using base64 CLI
BASE64_DATA=$(base64 -w 0 input.jpg) # use `-w 0` (GNU) or omit on macOS
curl -X POST "https://api.withoutbg.com/v1.0/image-without-background-base64" \
  -H "X-API-Key: $WITHOUTBG_API_KEY" \
  -H "Content-Type: application/json" \
  -d "{\"image_base64\": \"$BASE64_DATA\"}"
