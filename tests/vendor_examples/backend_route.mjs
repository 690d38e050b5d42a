// The backend route of image-without-background-base64.txt's browser example:
// the page posts {image_base64} to /api/remove-background, and this server
// adds the key and forwards it, so the key never reaches the browser.
import http from "node:http";

const API_URL = "https://api.withoutbg.com/v1.0/image-without-background-base64";

const server = http.createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/api/remove-background") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const upstream = await fetch(API_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": process.env.WITHOUTBG_API_KEY },
    body: Buffer.concat(chunks),
  });
  res.writeHead(upstream.status, { "Content-Type": "application/json" });
  res.end(await upstream.text());
});

server.listen(0, "127.0.0.1", () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
