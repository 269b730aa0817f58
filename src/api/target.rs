//! Where orders go: the provider's named environments, a base URL parsed once into its
//! canonical form (the ledger's key for "this provider": `localhost` and `127.0.0.1`, a port
//! with a leading zero or `//` in the path all name the same place), and the token, checked
//! before anything is sent. Nothing here ever prints the token.

use crate::error::Error;
use reqwest::Url;
use std::path::Path;

/// The provider's environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Environment {
    #[default]
    Demo,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Environment::Demo, Environment::Production];

    pub fn name(self) -> &'static str {
        match self {
            Environment::Demo => "demo",
            Environment::Production => "production",
        }
    }

    /// Its base URL (the production URL is not in the public docs; this is the
    /// one a third-party client used).
    pub fn url(self) -> &'static str {
        match self {
            Environment::Demo => "https://demo-api.frontpayment.no/api/v1",
            Environment::Production => "https://apigo.frontpayment.no/api/v1",
        }
    }
}

/// A provider's base URL, checked and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// Where requests go: the URL as given, normalised (no `//`, `.` or `..` segments, no
    /// trailing `/`), its host as written.
    pub url: String,
    /// The ledger's key: the same with every loopback name written `localhost`.
    pub key: String,
}

impl BaseUrl {
    /// Parses `--base-url` (or an environment's URL): https, or plain http to a loopback host
    /// only (a token never crosses a network in clear); no query, fragment or credentials.
    pub fn parse(text: &str) -> Result<BaseUrl, Error> {
        let refuse = |why: &str| Error::usage(format!("--base-url {text}: {why}"));
        let example = "write a full URL such as https://demo-api.frontpayment.no/api/v1";
        let url = Url::parse(text.trim()).map_err(|e| refuse(&format!("{e}; {example}")))?;
        let host = match url.host() {
            Some(host) if url.has_authority() => host.to_owned(),
            _ => return Err(refuse(example)),
        };
        let loopback = match &host {
            url::Host::Domain(name) => name.trim_end_matches('.') == "localhost",
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(refuse(
                    "plain http is allowed only on loopback (127.0.0.1, localhost); use https",
                ))
            }
            _ => return Err(refuse(example)),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse(
                "a base URL has no query (?…) or fragment (#…): remove it",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "a base URL carries no user name or password: the token goes in FPGO_TOKEN or --token-file",
            ));
        }
        // `Url` has lowercased the scheme and host, dropped a default port, read `:08080` as
        // 8080 and resolved `.` and `..`; what is left is empty segments and a trailing `/`.
        let path: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let path = path.iter().map(|s| format!("/{s}")).collect::<String>();
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let written = match &host {
            url::Host::Ipv6(ip) => format!("[{ip}]"),
            other => other.to_string().trim_end_matches('.').to_string(),
        };
        let scheme = url.scheme();
        let key_host = if loopback { "localhost" } else { &written };
        Ok(BaseUrl {
            url: format!("{scheme}://{written}{port}{path}"),
            key: format!("{scheme}://{key_host}{port}{path}"),
        })
    }
}

/// The bearer token, kept out of every `Debug` and `Display`.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// The token from `--token-file` or, without one, `FPGO_TOKEN`; surrounding white space
    /// (a file's final line break) is dropped. A token that an HTTP header cannot carry is
    /// refused here, before anything is sent, without showing it.
    pub fn load(file: Option<&Path>) -> Result<Token, Error> {
        let (text, source) = match file {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?,
                format!("the token in {}", path.display()),
            ),
            None => (
                std::env::var("FPGO_TOKEN").unwrap_or_default(),
                "FPGO_TOKEN".to_string(),
            ),
        };
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::usage(
                "no token: set the FPGO_TOKEN environment variable or give --token-file FILE (try --sandbox to send to a local FPGO without one)",
            ));
        }
        Token::new(token).map_err(|why| Error::usage(format!("{source} {why}")))
    }

    /// A token of visible ASCII characters only, as a bearer token is (RFC 6750). The error
    /// says what is wrong and where, never the token.
    pub fn new(token: &str) -> Result<Token, String> {
        if let Some((at, c)) = token
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())
        {
            let what = match c {
                '\n' | '\r' => "a line break".to_string(),
                ' ' | '\t' => "a space".to_string(),
                c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
                c => format!("the non-ASCII character U+{:04X}", c as u32),
            };
            return Err(format!(
                "has {what} at character {}: a token is one line of visible ASCII characters; copy it again from the provider",
                at + 1
            ));
        }
        Ok(Token(token.to_string()))
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> String {
        BaseUrl::parse(text).unwrap().key
    }

    #[test]
    fn clear_http_only_on_loopback() {
        assert!(BaseUrl::parse("https://demo-api.frontpayment.no/api/v1").is_ok());
        assert!(BaseUrl::parse("http://127.0.0.1:8080/api/v1").is_ok());
        assert!(BaseUrl::parse("http://localhost:8080/api/v1").is_ok());
        assert!(BaseUrl::parse("http://[::1]:8080/api/v1").is_ok());
        assert!(BaseUrl::parse("http://demo-api.frontpayment.no/api/v1").is_err());
        assert!(BaseUrl::parse("http://127.0.0.1.example.com/api").is_err());
        assert!(BaseUrl::parse("demo-api.frontpayment.no").is_err());
        assert!(BaseUrl::parse("ftp://demo-api.frontpayment.no").is_err());
    }

    #[test]
    fn the_ledger_key_is_the_canonical_url() {
        let demo = "https://demo-api.frontpayment.no/api/v1";
        assert_eq!(key(demo), demo, "the key of existing ledgers is unchanged");
        for same in [
            "HTTPS://Demo-API.frontpayment.no/api/v1/",
            "https://demo-api.frontpayment.no:443/api/v1",
            "https://demo-api.frontpayment.no//api//v1",
            "https://demo-api.frontpayment.no/api/x/../v1/.",
            "https://demo-api.frontpayment.no./api/v1",
        ] {
            assert_eq!(key(same), demo, "{same}");
        }
        let local = "http://localhost:8080/api/v1";
        for same in [
            "http://127.0.0.1:8080/api/v1",
            "http://LOCALHOST:08080/api/v1",
            "http://[::1]:8080/api/v1",
            "http://127.0.0.1:8080//api/v1/",
        ] {
            assert_eq!(key(same), local, "{same}");
        }
        assert_ne!(key("http://127.0.0.1:8081/api/v1"), local);
        assert_ne!(key("https://demo-api.frontpayment.no/api/v2"), demo);
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:08080//api/v1/")
                .unwrap()
                .url,
            "http://127.0.0.1:8080/api/v1",
            "requests go to the host as written"
        );
    }

    #[test]
    fn a_base_url_with_a_query_fragment_or_credentials_is_refused() {
        for bad in [
            "https://demo-api.frontpayment.no/api/v1?x=1",
            "https://demo-api.frontpayment.no/api/v1#top",
            "https://user:pass@demo-api.frontpayment.no/api/v1",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_with_a_line_break_is_refused_without_being_shown() {
        let error = Token::new("abc\ndef-SECRET").err().unwrap();
        assert!(error.contains("a line break at character 4"), "{error}");
        assert!(!error.contains("SECRET"));
        assert!(Token::new("abc def").is_err());
        assert!(Token::new("abcæ").is_err());
        assert!(Token::new("eyJ0eXAi.OiJKV1Qi-_~+/=").is_ok());
        assert_eq!(format!("{:?}", Token::new("SECRET").unwrap()), "Token(…)");
    }
}
