//! HTTPS to an upstream service trusts exactly the certificate authorities of the CA bundle
//! (the router's, not a list compiled into the binary): a TLS server on loopback whose
//! certificate a test CA signed is reached when the bundle holds that CA, and refused when it
//! does not. Needs `openssl` (to make the CA) and `python3` (the TLS server).
#![cfg(feature = "https")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hotspotd::http_client::{HttpClient, HttpError};

struct Server(Child, PathBuf);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is needed for this test");
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A CA, a certificate it signed for 127.0.0.1, and a python TLS server using it.
fn tls_server() -> (Server, String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("hotspotd-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    openssl(&dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hotspotd test CA"]);
    openssl(&dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        &dir,
        &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"],
    );
    let script = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("server.pem", "server.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).unwrap();
    let url = format!("https://127.0.0.1:{}/sms", port.trim());
    let ca = dir.join("ca.pem");
    (Server(child, dir), url, ca)
}

#[test]
fn https_trusts_the_ca_bundle_and_nothing_else() {
    let (_server, url, ca) = tls_server();
    let trusting = HttpClient::with_ca_bundle(Duration::from_secs(5), &ca);
    let r = trusting.post(&url, &[], "application/json", b"{}").expect("HTTPS with the test CA in the bundle");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"ok":true}"#));

    // The system's bundle does not hold the test CA; a missing bundle holds nothing.
    for bundle in [Path::new(hotspotd::http_client::DEFAULT_CA_BUNDLE), Path::new("/nonexistent/ca.pem")] {
        let err = HttpClient::with_ca_bundle(Duration::from_secs(5), bundle).post(&url, &[], "application/json", b"{}").unwrap_err();
        assert!(matches!(err, HttpError::Unreachable { .. }), "{bundle:?}: {err:?}");
        let chain = hotspotd::error_chain(&err);
        assert!(chain.contains("certificate") || chain.contains("Certificate"), "{bundle:?}: {chain}");
    }
}
