#!/usr/bin/env node
// Read a Moodle XML quiz file the way third-party code reads it, and print what was read as JSON.
// Usage: node parse_moodle.js FILE.xml
//
// There is no npm package named "moodle-xml-parser" (the registry answers 404). The closest
// real reader is the npm package moodlexml-to-json (MoodleXML -> JSON, built on xml2js), which
// reads category, multichoice, truefalse, numerical, shortanswer and matching questions. It
// skips Cloze ("multianswer") and ordering questions, so for those two this script reads the
// XML with the same xml2js options and then:
//   - parses the Cloze text with a line-by-line port of Moodle's own reader,
//     qtype_multianswer_extract_question (question/type/multianswer/questiontype.php):
//     the same regular expressions, html_entity_decode, then only \} and \# unescaped;
//   - reads ordering answers in the order of their fraction (qtype_ordering's rule).
// Every question in the file must come back from one of these readers (else exit 1).
"use strict";
const fs = require("fs");
const { parseString } = require("xml2js");
let moodleXMLtoJSON = require("moodlexml-to-json");
moodleXMLtoJSON = moodleXMLtoJSON.default || moodleXMLtoJSON;

// ---- Moodle's Cloze regular expressions (question/type/multianswer/questiontype.php)
const FRACTION = "=|%(-?[0-9]+(?:[.,][0-9]*)?)%";
const ANSWER = ".+?(?<!\\\\|&|&amp;)(?=[~#}]|$)";
const FEEDBACK = ".*?(?<!\\\\)(?=[~}]|$)";
const ALTERNATIVE = `(${FRACTION})?(${ANSWER})(#(${FEEDBACK}))?`;
const NUMBER = "-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)";
const NUMERICAL = `^(${NUMBER})(:${NUMBER})?$`;
const TYPES =
  "(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|" +
  "(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|" +
  "(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|" +
  "(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)";
const ANSWER_REGEX = `\\{([0-9]*):(${TYPES}):(${ALTERNATIVE}(~${ALTERNATIVE})*)\\}`;
const ANSWER_REGEX_NUMERICAL = 3;
const ANSWER_REGEX_SHORTANSWER = 7;
const ANSWER_REGEX_SHORTANSWER_C = 8;
const ANSWER_REGEX_ALTERNATIVES = 16;

const NAMED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
function htmlEntityDecode(text) {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, body) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return Object.prototype.hasOwnProperty.call(NAMED, body) ? NAMED[body] : whole;
  });
}
const unquote = (s) => htmlEntityDecode(s).split("\\}").join("}").split("\\#").join("#");

function extractCloze(questiontext) {
  const subquestions = [];
  let text = questiontext;
  const answerRegex = new RegExp(ANSWER_REGEX, "s");
  for (let regs = answerRegex.exec(text); regs; regs = answerRegex.exec(text)) {
    let qtype;
    if (regs[ANSWER_REGEX_NUMERICAL]) qtype = "numerical";
    else if (regs[ANSWER_REGEX_SHORTANSWER] || regs[ANSWER_REGEX_SHORTANSWER_C]) qtype = "shortanswer";
    else qtype = "multichoice";
    const alternatives = [];
    let remaining = regs[ANSWER_REGEX_ALTERNATIVES];
    const altRegex = new RegExp(`~?${ALTERNATIVE}`, "s");
    for (let alt = altRegex.exec(remaining); alt; alt = altRegex.exec(remaining)) {
      let fraction = 0;
      if (alt[1] === "=") fraction = 1;
      else if (alt[2]) fraction = 0.01 * Number(alt[2].replace(",", "."));
      const feedback = alt[5] === undefined ? "" : unquote(alt[5]);
      const num = qtype === "numerical" ? new RegExp(NUMERICAL, "s").exec(alt[3]) : null;
      if (num) {
        alternatives.push({ fraction, answer: num[1], tolerance: num[6] === undefined ? "0" : num[6], feedback });
      } else {
        alternatives.push({ fraction, answer: unquote(alt[3]), feedback });
      }
      const at = remaining.indexOf(alt[0]);
      remaining = remaining.slice(at + alt[0].length);
    }
    subquestions.push({ type: qtype, mark: regs[1] === "" ? 1 : Number(regs[1]), alternatives });
    text = text.replace(regs[0], `{#${subquestions.length}}`);
  }
  return { text, subquestions };
}

// ---- xml2js, with moodlexml-to-json's own options
const first = (node) => (Array.isArray(node) ? node[0] : node);
const textOf = (node) => {
  const n = first(node);
  if (n === undefined || n === null) return undefined;
  if (typeof n === "string") return n;
  const t = first(n.text);
  return typeof t === "string" ? t : t === undefined ? "" : t._ || "";
};

function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node parse_moodle.js FILE");
    process.exit(2);
  }
  const xml = fs.readFileSync(file, "utf8");
  parseString(xml, { trim: true, normalizeTags: true }, (err, raw) => {
    if (err) {
      console.error(`xml2js rejected ${file}: ${err.message}`);
      process.exit(1);
    }
    moodleXMLtoJSON(xml, (library, libErr) => {
      if (libErr) {
        console.error(`moodlexml-to-json rejected ${file}: ${libErr}`);
        process.exit(1);
      }
      const fromLibrary = library.questions.slice();
      const out = [];
      let category = null;
      for (const q of raw.quiz.question) {
        const type = q.$.type;
        const idnumber = textOf(q.idnumber);
        if (type === "multianswer") {
          const cloze = extractCloze(textOf(q.questiontext));
          out.push({ reader: "moodle-cloze-port", type, category, name: textOf(q.name), idnumber, ...cloze });
        } else if (type === "ordering") {
          const answers = q.answer.map((a) => ({ fraction: Number(a.$.fraction), text: textOf([a]) }));
          answers.sort((a, b) => a.fraction - b.fraction);
          out.push({ reader: "xml2js", type, category, name: textOf(q.name), idnumber, items: answers.map((a) => a.text) });
        } else {
          const parsed = fromLibrary.shift();
          if (!parsed || parsed.type !== type || (type !== "category" && parsed.name !== textOf(q.name))) {
            console.error(`moodlexml-to-json did not read question ${textOf(q.name) || type} (${type})`);
            process.exit(1);
          }
          if (type === "category") category = parsed.category;
          out.push({ reader: "moodlexml-to-json", category, idnumber, ...parsed });
        }
      }
      if (fromLibrary.length) {
        console.error(`moodlexml-to-json read ${fromLibrary.length} question(s) that are not in the file`);
        process.exit(1);
      }
      process.stdout.write(JSON.stringify({ questions: out }));
    });
  });
}

main();
