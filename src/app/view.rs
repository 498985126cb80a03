//! How the pages are made: askama templates (`templates/`, Jinja syntax),
//! compiled into the binary together with the struct that carries each
//! page's values, and answered as HTML by [`Page`].
//!
//! The page structs live next to their handlers (`IndexPage` in
//! `visits.rs`, ...); every one has the `chrome` field that `base.html`
//! reads ([`Chrome`](super::page::Chrome)).

use std::fmt;
use std::io::Cursor;

use askama::filters::Escaper;
use askama::Template;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};

/// A rendered page, answered as `text/html; charset=utf-8`; a template
/// that failed to render (it cannot, short of a bug) answers 500.
pub struct Page(Result<String, askama::Error>);

impl Page {
    /// Renders `page` (into a buffer of the size askama estimates).
    pub fn of<T: Template>(page: &T) -> Page {
        Page(page.render())
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self.0 {
            Ok(html) => with_content_type(ContentType::HTML, html),
            Err(err) => {
                log::error!("{} {}: the page did not render: {err}", req.method(), req.uri());
                Err(Status::InternalServerError)
            }
        }
    }
}

/// A response of `body` built with its one `Content-Type`, rather than a
/// `String`'s `text/plain` replaced afterwards (as `(ContentType, String)`
/// and Rocket's `Json` do): the replacement costs more than all of this.
pub fn with_content_type(content_type: ContentType, body: String) -> response::Result<'static> {
    Response::build().header(content_type).sized_body(body.len(), Cursor::new(body)).ok()
}

/// HTML escaping as the pages have always had it (Tera's): `&`, `<`, `>`,
/// `"`, `'` and `/` become `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#x27;` and
/// `&#x2F;`. askama.toml makes it the escaper of every `.html` template.
#[derive(Debug, Clone, Copy, Default)]
pub struct TeraHtml;

impl Escaper for TeraHtml {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        let bytes = text.as_bytes();
        let mut start = 0;
        // Runs without a special character are written whole; the scan is
        // a table lookup per byte (every page escapes every value it shows).
        while let Some(offset) = bytes[start..].iter().position(|&b| ESCAPED[usize::from(b)]) {
            let at = start + offset;
            let entity = match bytes[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#x27;",
                _ => "&#x2F;",
            };
            dest.write_str(&text[start..at])?;
            dest.write_str(entity)?;
            start = at + 1;
        }
        dest.write_str(&text[start..])
    }
}

/// The bytes [`TeraHtml`] replaces by an entity: `& < > " ' /`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let special = b"&<>\"'/";
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_tera_did() {
        let mut out = String::new();
        let text = r#"<b>Ada & "Bob"</b> l'été"#;
        assert!(TeraHtml.write_escaped_str(&mut out, text).is_ok());
        assert_eq!(out, "&lt;b&gt;Ada &amp; &quot;Bob&quot;&lt;&#x2F;b&gt; l&#x27;été");
        out.clear();
        assert!(TeraHtml.write_escaped_char(&mut out, '/').is_ok());
        assert_eq!(out, "&#x2F;");
    }
}
