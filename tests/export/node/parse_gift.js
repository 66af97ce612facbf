#!/usr/bin/env node
// Parse a GIFT file with the npm package gift-pegjs and print what it read as JSON.
// Usage: node parse_gift.js FILE.gift.txt
// Exit 1 (and the parser's message, with line and column) if gift-pegjs rejects the file.
"use strict";
const fs = require("fs");
const { parse, SyntaxError: GiftSyntaxError } = require("gift-pegjs");

const file = process.argv[2];
if (!file) {
  console.error("usage: node parse_gift.js FILE");
  process.exit(2);
}
const text = fs.readFileSync(file, "utf8");
let questions;
try {
  questions = parse(text);
} catch (err) {
  const where = err.location ? ` at line ${err.location.start.line}, column ${err.location.start.column}` : "";
  console.error(`gift-pegjs rejected ${file}${where}: ${err.message}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ parser: "gift-pegjs", version: require("gift-pegjs/package.json").version, questions }));
