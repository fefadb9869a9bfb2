//! Document conversion (`/ai/tomarkdown`): reads the multipart upload and really converts
//! what it can read (plain text, HTML, XML, CSV, and PDFs with a text layer in uncompressed
//! or Flate content streams); any other file gets its own per-file error, as the service
//! answers a file it cannot convert.

use genai_core::DocumentFormat;
use serde_json::{json, Value};

use super::answer::Refusal;

/// The `result` of `GET /ai/tomarkdown/supported`: the documented formats.
pub(crate) fn supported() -> Value {
    Value::Array(
        DocumentFormat::documented()
            .into_iter()
            .map(|f| json!({"extension": format!(".{}", f.extension), "mimeType": f.media_type}))
            .collect(),
    )
}

/// One part of a multipart body.
struct Part<'a> {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: &'a [u8],
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits a `multipart/form-data` body; `None` when it is not one.
fn parts<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(out);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after = &rest[head_end + 4..];
        let next = find(after, format!("\r\n{delimiter}").as_bytes())?;
        let data = &after[..next];
        rest = &after[next + 2 + delimiter.len()..];
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data,
        };
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            } else if key.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').map(str::trim) {
                    if let Some(v) = param.strip_prefix("name=") {
                        part.name = v.trim_matches('"').to_owned();
                    } else if let Some(v) = param.strip_prefix("filename=") {
                        part.filename = Some(v.trim_matches('"').to_owned());
                    }
                }
            }
        }
        out.push(part);
    }
}

/// The `result` of `POST /ai/tomarkdown`, or the status, code and message of a refusal.
pub(crate) fn convert(content_type: Option<&str>, body: &[u8]) -> Result<Value, Refusal> {
    let bad = |m: &str| Refusal::new(400, 3003, format!("AiError: Bad input: {m}"));
    let ct = content_type.unwrap_or("");
    if !ct.starts_with("multipart/form-data") {
        return Err(bad(
            "the request must be multipart/form-data with `files` parts",
        ));
    }
    let parts = parts(ct, body).ok_or_else(|| bad("the multipart body is malformed"))?;
    let mut text_output = false;
    for p in parts.iter().filter(|p| p.name == "conversionOptions") {
        let options: Value =
            serde_json::from_slice(p.data).map_err(|_| bad("`conversionOptions` is not JSON"))?;
        text_output = options.pointer("/output/format").and_then(Value::as_str) == Some("text");
    }
    let files: Vec<&Part> = parts.iter().filter(|p| p.name == "files").collect();
    if files.is_empty() {
        return Err(bad("no `files` given"));
    }
    let results = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = f
                .filename
                .clone()
                .unwrap_or_else(|| format!("file{}", i + 1));
            let ext = name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default();
            let mime = f
                .content_type
                .clone()
                .or_else(|| {
                    DocumentFormat::documented()
                        .into_iter()
                        .find(|f| f.extension == ext)
                        .map(|f| f.media_type)
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let id = format!("{}", i + 1);
            match read(&ext, &mime, f.data, text_output) {
                Ok(text) => {
                    let tokens = text.split_whitespace().count();
                    json!({"id": id, "name": name, "mimeType": mime,
                           "format": if text_output { "text" } else { "markdown" },
                           "tokens": tokens, "data": text})
                }
                Err(error) => json!({"id": id, "name": name, "mimeType": mime,
                                     "format": "error", "error": error}),
            }
        })
        .collect();
    Ok(Value::Array(results))
}

/// The text of one file, or why it cannot be read.
fn read(ext: &str, mime: &str, data: &[u8], text: bool) -> Result<String, String> {
    let utf8 =
        || std::str::from_utf8(data).map_err(|_| format!("the {ext} file is not valid UTF-8 text"));
    let kind = match ext {
        "txt" | "md" | "markdown" => "text",
        "html" | "htm" => "html",
        "xml" => "xml",
        "csv" => "csv",
        "pdf" => "pdf",
        _ if mime.starts_with("text/html") => "html",
        _ if mime.starts_with("text/csv") => "csv",
        _ if mime.starts_with("text/plain") => "text",
        _ if mime == "application/pdf" => "pdf",
        _ => "",
    };
    let out = match kind {
        "text" => utf8()?.to_owned(),
        "html" => html_to_markdown(utf8()?, text),
        "xml" => html_to_markdown(utf8()?, true),
        "csv" => csv_to_markdown(utf8()?, text),
        "pdf" => pdf_text(data)?,
        _ if DocumentFormat::documented()
            .iter()
            .any(|f| f.extension == ext) =>
        {
            return Err(format!(
                "Conversion of {ext} files failed: the file could not be read"
            ))
        }
        _ => return Err(format!("Unsupported file type: {mime}")),
    };
    let out = out.trim().to_owned();
    if out.is_empty() {
        return Err("The file has no text to convert".to_owned());
    }
    Ok(out)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(10)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML (or XML) to Markdown: headings, paragraphs, list items and line breaks kept, scripts,
/// styles, comments and the head dropped; `plain` leaves out the Markdown marks.
fn html_to_markdown(html: &str, plain: bool) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip_until: Option<String> = None;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip_until.is_none() {
                push_text(&mut out, rest);
            }
            break;
        };
        if skip_until.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = rest[1..gt].trim().to_ascii_lowercase();
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if let Some(until) = &skip_until {
            if closing && &name == until {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" | "head" if !closing => skip_until = Some(name),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                out.push_str("\n\n");
                if !closing && !plain {
                    let level = name[1..].parse::<usize>().unwrap_or(1);
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
            }
            "p" | "div" | "section" | "article" | "table" | "ul" | "ol" | "blockquote" => {
                out.push_str("\n\n")
            }
            "br" | "tr" => out.push('\n'),
            "li" if !closing => out.push_str(if plain { "\n" } else { "\n- " }),
            "td" | "th" if !closing => out.push(' '),
            _ => {}
        }
    }
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let mut text = String::new();
    let mut blank = false;
    for line in lines {
        if line.is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if blank {
            text.push_str("\n\n");
        } else if !text.is_empty() {
            text.push('\n');
        }
        blank = false;
        text.push_str(line);
    }
    text
}

fn push_text(out: &mut String, raw: &str) {
    let text = decode_entities(raw);
    let mut last_space = out.ends_with([' ', '\n']);
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

/// The cells of CSV records (quoted fields with doubled quotes and line breaks).
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records.retain(|r| r.iter().any(|f| !f.trim().is_empty()));
    records
}

/// CSV to a Markdown table (its first record the header), or tab-separated lines as text.
fn csv_to_markdown(text: &str, plain: bool) -> String {
    let records = csv_records(text);
    if plain {
        return records
            .iter()
            .map(|r| r.join("\t"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let width = records.iter().map(Vec::len).max().unwrap_or(0);
    let row = |r: &Vec<String>| {
        let cells: Vec<String> = (0..width)
            .map(|i| {
                r.get(i)
                    .map(|c| c.replace('|', "\\|").replace('\n', " "))
                    .unwrap_or_default()
            })
            .collect();
        format!("| {} |", cells.join(" | "))
    };
    let mut lines = Vec::new();
    for (i, r) in records.iter().enumerate() {
        lines.push(row(r));
        if i == 0 {
            lines.push(format!("|{}", " --- |".repeat(width)));
        }
    }
    lines.join("\n")
}

/// The text layer of a PDF: the strings its content streams show (uncompressed or Flate),
/// a line per text line. An error when it is no PDF or shows no text (a scan).
pub(crate) fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    if !bytes.starts_with(b"%PDF-") {
        return Err("The file is not a PDF".to_owned());
    }
    let mut out = String::new();
    let mut pos = 0;
    while let Some(i) = find(&bytes[pos..], b"stream") {
        let keyword = pos + i;
        pos = keyword + 6;
        if keyword >= 3 && &bytes[keyword - 3..keyword] == b"end" {
            continue;
        }
        let mut start = keyword + 6;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let dict_from = bytes[..keyword]
            .windows(3)
            .rposition(|w| w == b"obj")
            .unwrap_or(0);
        let dict = &bytes[dict_from..keyword];
        let Some(len) = find(&bytes[start..], b"endstream") else {
            break;
        };
        pos = start + len + 9;
        // The declared /Length when it ends where `endstream` follows; else up to the
        // keyword, line break removed (some writers declare a wrong length).
        let declared = declared_length(dict).filter(|&n| {
            n <= len
                && bytes[start + n..start + len]
                    .iter()
                    .all(u8::is_ascii_whitespace)
        });
        let data = match declared {
            Some(n) => &bytes[start..start + n],
            None => {
                let mut data = &bytes[start..start + len];
                while let Some((last, head)) = data.split_last() {
                    if *last == b'\n' || *last == b'\r' {
                        data = head;
                    } else {
                        break;
                    }
                }
                data
            }
        };
        let content = if find(dict, b"/FlateDecode").is_some() {
            match miniz_oxide::inflate::decompress_to_vec_zlib(data) {
                Ok(c) => c,
                Err(_) => continue,
            }
        } else if find(dict, b"/Filter").is_some() || find(dict, b"/Subtype").is_some() {
            continue;
        } else {
            data.to_vec()
        };
        let text = content_text(&content);
        if !text.trim().is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(text.trim());
        }
    }
    if out.trim().is_empty() {
        return Err("The PDF has no text layer to convert".to_owned());
    }
    Ok(out)
}

/// The `/Length` of a stream dictionary when it is a number (not a reference).
fn declared_length(dict: &[u8]) -> Option<usize> {
    let at = find(dict, b"/Length")? + 7;
    let rest = std::str::from_utf8(&dict[at..]).ok()?;
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].trim_start();
    // `4 0 R` is a reference to the length, not the length.
    if after.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A token of a content stream.
#[derive(Debug)]
enum Tok {
    Str(Vec<u8>),
    Num(f64),
    Mark,
    Array(Vec<Tok>),
    Other,
}

/// The text a content stream shows.
fn content_text(s: &[u8]) -> String {
    let mut out = String::new();
    let mut stack: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0' => i += 1,
            b'%' => {
                while i < s.len() && s[i] != b'\n' && s[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                let (text, next) = literal(s, i + 1);
                stack.push(Tok::Str(text));
                i = next;
            }
            b'<' if s.get(i + 1) == Some(&b'<') => {
                stack.push(Tok::Other);
                i += 2;
            }
            b'>' if s.get(i + 1) == Some(&b'>') => {
                i += 2;
            }
            b'<' => {
                let end = s[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(s.len(), |p| i + p);
                let hex: Vec<u8> = s[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let bytes = hex
                    .chunks(2)
                    .map(|p| {
                        let hi = (p[0] as char).to_digit(16).unwrap_or(0);
                        let lo = p
                            .get(1)
                            .and_then(|b| (*b as char).to_digit(16))
                            .unwrap_or(0);
                        (hi * 16 + lo) as u8
                    })
                    .collect();
                stack.push(Tok::Str(bytes));
                i = end + 1;
            }
            b'[' => {
                stack.push(Tok::Mark);
                i += 1;
            }
            b']' => {
                let from = stack.iter().rposition(|t| matches!(t, Tok::Mark));
                let items = match from {
                    Some(f) => {
                        let items = stack.split_off(f + 1);
                        stack.pop();
                        items
                    }
                    None => Vec::new(),
                };
                stack.push(Tok::Array(items));
                i += 1;
            }
            b'/' => {
                i += 1;
                while i < s.len() && !is_delimiter(s[i]) {
                    i += 1;
                }
                stack.push(Tok::Other);
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let start = i;
                i += 1;
                while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
                    i += 1;
                }
                let n = std::str::from_utf8(&s[start..i])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0);
                stack.push(Tok::Num(n));
            }
            _ => {
                let start = i;
                while i < s.len() && !is_delimiter(s[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    continue;
                }
                operator(&s[start..i], &mut stack, &mut out);
                stack.clear();
            }
        }
    }
    out
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'\x0c'
            | b'\0'
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Applies a text operator to the output.
fn operator(op: &[u8], stack: &mut [Tok], out: &mut String) {
    let last_str = |stack: &[Tok]| {
        stack.iter().rev().find_map(|t| match t {
            Tok::Str(s) => Some(decode_pdf_string(s)),
            _ => None,
        })
    };
    match op {
        b"Tj" => {
            if let Some(t) = last_str(stack) {
                out.push_str(&t);
            }
        }
        b"'" | b"\"" => {
            newline(out);
            if let Some(t) = last_str(stack) {
                out.push_str(&t);
            }
        }
        b"TJ" => {
            if let Some(Tok::Array(items)) = stack.last() {
                for item in items {
                    match item {
                        Tok::Str(s) => out.push_str(&decode_pdf_string(s)),
                        Tok::Num(n) if *n < -200.0 && !out.ends_with(' ') => out.push(' '),
                        _ => {}
                    }
                }
            }
        }
        b"Td" | b"TD" => {
            let y = match stack {
                [.., Tok::Num(_), Tok::Num(y)] => *y,
                _ => 0.0,
            };
            if y != 0.0 {
                newline(out);
            } else if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        }
        b"T*" | b"ET" | b"Tm" => newline(out),
        _ => {}
    }
}

/// A PDF string as text: UTF-16 with its byte order mark, else PDFDocEncoding (read as
/// Latin-1).
fn decode_pdf_string(s: &[u8]) -> String {
    if let Some(rest) = s.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|p| u16::from_be_bytes([p[0], p.get(1).copied().unwrap_or(0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    s.iter().map(|&b| b as char).collect()
}

/// Reads a literal string from just after its `(`: its bytes and the position after its `)`.
fn literal(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        match c {
            b'\\' => {
                let Some(&e) = s.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'\r' => {
                        if s.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match s.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((v & 0xff) as u8);
                    }
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' if depth == 0 => return (out, i),
            b')' => {
                depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::pdf_with_content as pdf;

    #[test]
    fn reads_the_text_layer_of_plain_and_flate_pdfs() {
        let content = b"BT /F1 12 Tf 10 50 Td (The code \\(word\\) is) Tj 0 -14 Td [(Quack) -20 (iland) -300 (now.)] TJ ET";
        for flate in [false, true] {
            let text = pdf_text(&pdf(content, flate)).unwrap();
            assert_eq!(text, "The code (word) is\nQuackiland now.", "flate={flate}");
        }
        assert!(pdf_text(&pdf(b"q 1 0 0 1 0 0 cm Q", false)).is_err());
        assert!(pdf_text(b"not a pdf").is_err());
    }

    #[test]
    fn html_and_csv_become_markdown() {
        let md = html_to_markdown(
            "<html><head><title>t</title><style>p{}</style></head><body><h1>Report</h1><p>Revenue grew 12% &amp; more.</p><ul><li>a</li><li>b</li></ul><script>x()</script></body></html>",
            false,
        );
        assert_eq!(md, "# Report\n\nRevenue grew 12% & more.\n\n- a\n- b");
        let table = csv_to_markdown("city,population\n\"Paris, FR\",2100000\n", false);
        assert_eq!(
            table,
            "| city | population |\n| --- | --- |\n| Paris, FR | 2100000 |"
        );
    }

    #[test]
    fn a_batch_answers_per_file_errors() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nx,y\n1,2\r\n--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b.docx\"\r\n\r\nPK\x03\x04\r\n--b--\r\n";
        let out = convert(Some("multipart/form-data; boundary=b"), body).unwrap();
        assert_eq!(out[0]["format"], "markdown");
        assert_eq!(out[1]["format"], "error");
        assert!(out[1]["error"].as_str().unwrap().contains("docx"));
        assert!(convert(Some("application/json"), b"{}").is_err());
    }
}
