//! QR codes as inline SVG for printed vouchers: one `<path>` per code (each row's dark runs
//! drawn as 1-unit strokes), a 4-module quiet zone, black on white, `crispEdges`. Pure.
//!
//! Encoding is `qr_code.rs` (byte mode, ECC level M, versions 1..=10: a portal URL with a
//! voucher code needs version 3 — `print::voucher_url` — or 4 for a long host name). This file only draws.

use std::fmt::Write as _;

use super::qr_code::Symbol as QrCode;

/// The quiet zone around the symbol (modules), as the standard asks.
pub const QUIET_MODULES: i32 = 4;

/// The QR symbol for `text` (byte mode, ECC M, version 1 to 10), or `None` if it does not
/// fit in version 10 (213 bytes).
pub fn encode(text: &str) -> Option<QrCode> {
    QrCode::encode(text.as_bytes())
}

/// `<svg class="qr" …>` drawing `text`'s QR code `width_mm` wide (quiet zone included), or
/// `None` if the text is too long. The SVG holds one `<path>` whatever the text. Inline in
/// HTML, so no `xmlns`; the page's CSS gives it a white background and crisp edges
/// (`print::CSS`): a sheet of 24 stays under 50 KB. The view box starts half a module up, so
/// a row's stroke (1 wide, centred on its line) is drawn at whole numbers.
pub fn svg(text: &str, width_mm: u32) -> Option<String> {
    let code = encode(text)?;
    let side = code.size() + 2 * QUIET_MODULES;
    let mut out = String::with_capacity(2600);
    let _ = write!(
        out,
        r##"<svg class="qr" viewBox="0 -.5 {side} {side}" width="{width_mm}mm" height="{width_mm}mm"><path stroke="#000" d=""##
    );
    path(&code, &mut out);
    out.push_str("\"/></svg>");
    Some(out)
}

/// The path data: per row with dark modules, `M<x> <y>` at its first run, then `h<len>`
/// for each run and `m<gap> 0` between them (a stroke of width 1 centred on the row).
fn path(code: &QrCode, out: &mut String) {
    let n = code.size();
    for y in 0..n {
        // Pen position in this row (module x), None until the row's first run.
        let mut pen: Option<i32> = None;
        let mut x = 0;
        while x < n {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && code.get_module(x, y) {
                x += 1;
            }
            match pen {
                None => {
                    let _ = write!(out, "M{} {}", start + QUIET_MODULES, y + QUIET_MODULES);
                }
                Some(at) => {
                    let _ = write!(out, "m{} 0", start - at);
                }
            }
            let _ = write!(out, "h{}", x - start);
            pen = Some(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://192.168.1.1:2050/v/K7MX3QPAB";

    /// Modules back from the path: every `h` run marks its row's modules dark.
    fn modules_of(svg: &str) -> Vec<(i32, i32)> {
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut dark = Vec::new();
        let (mut x, mut y) = (0i32, 0i32);
        let mut rest = d;
        while !rest.is_empty() {
            let op = rest.as_bytes()[0];
            let end = rest[1..].find(['M', 'm', 'h']).map_or(rest.len(), |i| i + 1);
            let args: Vec<&str> = rest[1..end].split(' ').collect();
            match op {
                b'M' => {
                    x = args[0].parse().unwrap();
                    y = args[1].parse().unwrap();
                }
                b'm' => x += args[0].parse::<i32>().unwrap(),
                b'h' => {
                    let len: i32 = args[0].parse().unwrap();
                    dark.extend((x..x + len).map(|x| (x - QUIET_MODULES, y - QUIET_MODULES)));
                    x += len;
                }
                _ => panic!("unexpected {op}"),
            }
            rest = &rest[end..];
        }
        dark
    }

    #[test]
    fn the_path_draws_exactly_the_dark_modules() {
        let code = encode(URL).unwrap();
        let svg = svg(URL, 30).unwrap();
        let drawn = modules_of(&svg);
        let mut want = Vec::new();
        for y in 0..code.size() {
            for x in 0..code.size() {
                if code.get_module(x, y) {
                    want.push((x, y));
                }
            }
        }
        assert_eq!(drawn, want);
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.starts_with(r#"<svg class="qr""#));
    }

    #[test]
    fn a_portal_url_is_a_small_medium_ecc_symbol_with_a_quiet_zone() {
        let code = encode(URL).unwrap();
        assert_eq!(code.version(), 3, "a router's voucher link is a version-3 symbol");
        let side = code.size() + 8;
        assert!(svg(URL, 30).unwrap().contains(&format!(r#"viewBox="0 -.5 {side} {side}" width="30mm""#)));
        // Finder pattern's top-left corner is dark; the quiet zone holds no path start left of 4.
        assert!(code.get_module(0, 0) && code.get_module(6, 6) && !code.get_module(7, 7));
        assert!(modules_of(&svg(URL, 30).unwrap()).iter().all(|&(x, y)| x >= 0 && y >= 0 && x < code.size()));
        // Small enough for 24 on one 50 KB page.
        assert!(svg(URL, 30).unwrap().len() < 1_700, "{}", svg(URL, 30).unwrap().len());
    }

    #[test]
    fn too_long_for_version_10_is_refused() {
        assert!(encode(&"x".repeat(213)).is_some());
        assert!(svg(&"x".repeat(214), 30).is_none());
    }

    /// Renders the SVG's modules to a PGM and decodes it with `zbarimg` (Debian
    /// `zbar-tools`), when it is installed: the real check that phones can read it.
    #[test]
    fn zbarimg_reads_the_url_back() {
        let Ok(_) = std::process::Command::new("zbarimg").arg("--version").output() else {
            eprintln!("zbarimg not installed (apt-get install zbar-tools): skipped");
            return;
        };
        for text in [URL, "http://10.0.0.1:2050/login?voucher=ABCDEFGHJ", "https://wifi.example.co.ke/v/ZZZZZZZZZ"] {
            let code = encode(text).unwrap();
            let side = (code.size() + 2 * QUIET_MODULES) as usize;
            let scale = 6;
            let px = side * scale;
            let mut img = vec![255u8; px * px];
            for (x, y) in modules_of(&svg(text, 30).unwrap()) {
                let (x, y) = ((x + QUIET_MODULES) as usize, (y + QUIET_MODULES) as usize);
                for dy in 0..scale {
                    for dx in 0..scale {
                        img[(y * scale + dy) * px + x * scale + dx] = 0;
                    }
                }
            }
            let mut pgm = format!("P5 {px} {px} 255\n").into_bytes();
            pgm.extend_from_slice(&img);
            let path = std::env::temp_dir().join(format!("hotspotd-qr-{}-{}.pgm", std::process::id(), text.len()));
            std::fs::write(&path, pgm).unwrap();
            let out = std::process::Command::new("zbarimg").args(["--quiet", "--raw"]).arg(&path).output().unwrap();
            let _ = std::fs::remove_file(&path);
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), text);
        }
    }
}
