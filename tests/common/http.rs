//! A tiny HTTP/1.1 client for loopback: one request per connection
//! (`Connection: close`), the whole response read and parsed; and a
//! cookie jar that keeps what the responses set, as a browser would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first header called `name` (any letter case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `Set-Cookie` for `name`, if any.
    pub fn set_cookie_for(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    /// The `name=value` pair of the `Set-Cookie` for `name`, ready for the
    /// next request's `Cookie` header.
    pub fn cookie_for(&self, name: &str) -> Option<String> {
        self.set_cookie_for(name).map(|c| super::cookie_pair(c).to_owned())
    }

    /// The value the `Set-Cookie` for `name` sets, if any and not empty.
    pub fn cookie_value_for(&self, name: &str) -> Option<String> {
        let value = super::cookie_value(self.set_cookie_for(name)?);
        (!value.is_empty()).then(|| value.to_owned())
    }
}

/// A client's cookies over raw HTTP, as a browser keeps them for one site
/// (names only; no paths or domains): each `Set-Cookie` of a response sets
/// its cookie, and one with an empty value or `Max-Age=0` removes it.
#[derive(Debug, Default, Clone)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    /// Takes in the `Set-Cookie`s of `response`.
    pub fn update(&mut self, response: &HttpResponse) {
        let set_cookies =
            response.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"));
        for (_, set_cookie) in set_cookies {
            let Some((name, value)) = super::cookie_pair(set_cookie).split_once('=') else {
                continue;
            };
            let removed = value.is_empty()
                || super::attributes(set_cookie).iter().any(|(k, v)| k == "max-age" && v == "0");
            self.0.retain(|(held, _)| held != name);
            if !removed {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// The `Cookie` header's value, or `None` when the jar is empty.
    pub fn header(&self) -> Option<String> {
        let pairs: Vec<String> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// The names held, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names
    }
}

/// One request to `127.0.0.1:port` with an optional `Cookie` header and an
/// optional URL-encoded form body.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("set a read timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(form) = form {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", form.len()));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.push_str(form.unwrap_or_default());
    stream.write_all(request.as_bytes()).expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    parse(&String::from_utf8_lossy(&raw))
}

/// `GET path` with an optional `Cookie` header.
pub fn http_get(port: u16, path: &str, cookie: Option<&str>) -> HttpResponse {
    request(port, "GET", path, cookie, None)
}

/// Whether `GET path` on the port answers 200 right now. Reads the status
/// line only (chromedriver keeps the connection open).
pub fn answers_200(port: u16, path: &str) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 12];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.")
        && head.ends_with(b" 200")
}

fn parse(text: &str) -> HttpResponse {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse { status, headers, body: body.to_owned() }
}
