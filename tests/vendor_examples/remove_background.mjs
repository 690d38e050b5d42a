// image-without-background-base64.txt, "Node.js (fetch)".
import fs from "node:fs";

const apiKey = process.env.WITHOUTBG_API_KEY;
const imageBase64 = fs.readFileSync("input.jpg").toString("base64");

const res = await fetch("https://api.withoutbg.com/v1.0/image-without-background-base64", {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "X-API-Key": apiKey
  },
  body: JSON.stringify({ image_base64: imageBase64 })
});

if (!res.ok) {
  const error = await res.text();
  throw new Error(`HTTP ${res.status}: ${error}`);
}

const data = await res.json();
const outputPng = Buffer.from(data.img_without_background_base64, "base64");
fs.writeFileSync("output.png", outputPng);
