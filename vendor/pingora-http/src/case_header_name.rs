// Copyright 2026 Cloudflare, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::*;
use bytes::Bytes;
use http::header;

#[derive(Debug, Clone)]
pub struct CaseHeaderName(Repr);

// Portvakt patch (see PATCH.md, section 1): a name given as a `HeaderName` is kept as one, so that turning it into a
// case name copies nothing and inserting it parses nothing.
#[derive(Debug, Clone)]
enum Repr {
    /// The name as written (read from the wire, or given as a string).
    Written(Bytes),
    /// A pre-built name, written in its canonical case: titled for the names `titled_header_name_str` knows, else
    /// lowercase (as `HeaderName` keeps it). Cloning one made by `HeaderName::from_static` or a standard name
    /// allocates nothing.
    Canonical(HeaderName),
}

impl CaseHeaderName {
    pub fn new(name: String) -> Self {
        CaseHeaderName(Repr::Written(name.into()))
    }
}

impl CaseHeaderName {
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Written(b) => b,
            Repr::Canonical(h) => titled_header_name_str(h)
                .unwrap_or(h.as_str())
                .as_bytes(),
        }
    }

    pub fn from_slice(buf: &[u8]) -> Self {
        CaseHeaderName(Repr::Written(Bytes::copy_from_slice(buf)))
    }

    /// The case-insensitive `HeaderName` of this name: parsed from a written name, cloned (without parsing) from a
    /// pre-built one.
    pub(crate) fn header_name(&self) -> Result<HeaderName> {
        match &self.0 {
            Repr::Written(b) => HeaderName::from_bytes(b).or_err(InvalidHTTPHeader, "invalid header name"),
            Repr::Canonical(h) => Ok(h.clone()),
        }
    }
}

/// A trait that converts into case-sensitive header names.
pub trait IntoCaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName;
}

impl IntoCaseHeaderName for CaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self
    }
}

impl IntoCaseHeaderName for String {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Repr::Written(self.into()))
    }
}

impl IntoCaseHeaderName for &'static str {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Repr::Written(self.into()))
    }
}

// Portvakt patch (see PATCH.md, section 1): written as before (`titled_header_name_str`, else lowercase), but kept as
// the `HeaderName`, not copied into new bytes.
impl IntoCaseHeaderName for HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Repr::Canonical(self))
    }
}

impl IntoCaseHeaderName for &HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Repr::Canonical(self.clone()))
    }
}

impl IntoCaseHeaderName for Bytes {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Repr::Written(self))
    }
}

pub(crate) fn titled_header_name_str(header_name: &HeaderName) -> Option<&'static str> {
    Some(match *header_name {
        header::ACCEPT_RANGES => "Accept-Ranges",
        header::AGE => "Age",
        header::CACHE_CONTROL => "Cache-Control",
        header::CONNECTION => "Connection",
        header::CONTENT_TYPE => "Content-Type",
        header::CONTENT_ENCODING => "Content-Encoding",
        header::CONTENT_LENGTH => "Content-Length",
        header::DATE => "Date",
        header::TRANSFER_ENCODING => "Transfer-Encoding",
        header::HOST => "Host",
        header::SERVER => "Server",
        header::SET_COOKIE => "Set-Cookie",
        // TODO: add more const header here to map to their titled case
        // TODO: automatically upper case the first letter?
        _ => {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_case_header_name() {
        assert_eq!("FoO".into_case_header_name().as_slice(), b"FoO");
        assert_eq!("FoO".to_string().into_case_header_name().as_slice(), b"FoO");
        assert_eq!(header::SERVER.into_case_header_name().as_slice(), b"Server");
    }
}
