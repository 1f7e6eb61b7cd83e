//! The OpenWrt package as `opkg install` receives it: scripts/package-ipk.sh builds a real
//! .ipk (here around the host build of the binary), and this checks its layout, its control
//! fields and the shell syntax of everything that runs on the router.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sh(cmd: &str, dir: &Path) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "`{cmd}` failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn build_ipk(work: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(repo.join("scripts/package-ipk.sh"))
        .arg("mips-unknown-linux-musl")
        .env("HOTSPOTD_BIN", env!("CARGO_BIN_EXE_hotspotd"))
        .env("OUT_DIR", work)
        .output()
        .unwrap();
    assert!(out.status.success(), "package-ipk.sh failed: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn ipk_has_the_layout_opkg_expects() {
    let work = std::env::temp_dir().join(format!("hotspotd-ipk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let ipk = build_ipk(&work);
    let name = ipk.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("hotspotd_0.1.0-1_mips_24kc.ipk"), "{name}");

    // Outer archive: exactly the three members, debian-binary first.
    let members = sh(&format!("tar -tzf {}", ipk.display()), &work);
    assert_eq!(members.lines().collect::<Vec<_>>(), ["./debian-binary", "./data.tar.gz", "./control.tar.gz"]);
    sh(&format!("tar -xzf {}", ipk.display()), &work);
    assert_eq!(std::fs::read_to_string(work.join("debian-binary")).unwrap(), "2.0\n");

    let control_files = sh("tar -tzf control.tar.gz", &work);
    for f in ["./control", "./conffiles", "./postinst", "./prerm"] {
        assert!(control_files.lines().any(|l| l == f), "control.tar.gz lacks {f}: {control_files}");
    }
    sh("mkdir c && tar -xzf control.tar.gz -C c", &work);
    let control = std::fs::read_to_string(work.join("c/control")).unwrap();
    for field in ["Package: hotspotd\n", "Version: 0.1.0-1\n", "Architecture: mips_24kc\n", "Depends: nftables-json"] {
        assert!(control.contains(field), "control lacks {field:?}:\n{control}");
    }
    assert_eq!(std::fs::read_to_string(work.join("c/conffiles")).unwrap(), "/etc/config/hotspotd\n");

    let data_files = sh("tar -tvzf data.tar.gz", &work);
    for (path, mode) in [
        ("./usr/sbin/hotspotd", "-rwxr-xr-x"),
        ("./etc/config/hotspotd", "-rw-------"),
        ("./etc/init.d/hotspotd", "-rwxr-xr-x"),
        ("./etc/uci-defaults/90-hotspotd", "-rwxr-xr-x"),
        ("./etc/hotplug.d/ntp/90-hotspotd", "-rw-r--r--"),
        ("./lib/upgrade/keep.d/hotspotd", "-rw-r--r--"),
    ] {
        let line = data_files.lines().find(|l| l.ends_with(path)).unwrap_or_else(|| panic!("data lacks {path}:\n{data_files}"));
        assert!(line.starts_with(mode), "{path} has the wrong mode: {line}");
        assert!(line.contains("0/0"), "{path} must be owned by root: {line}");
    }

    // Everything that runs on the router parses as POSIX sh, and the shipped config is valid.
    sh("mkdir d && tar -xzf data.tar.gz -C d", &work);
    for script in ["d/etc/init.d/hotspotd", "d/etc/uci-defaults/90-hotspotd", "d/etc/hotplug.d/ntp/90-hotspotd", "c/postinst", "c/prerm"] {
        sh(&format!("sh -n {script}"), &work);
    }
    let check = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .args(["--config", work.join("d/etc/config/hotspotd").to_str().unwrap(), "--help"])
        .output()
        .unwrap();
    assert!(check.status.success());
    let config = std::fs::read_to_string(work.join("d/etc/config/hotspotd")).unwrap();
    hotspotd::config::Config::parse(&config, Path::new("/etc/config/hotspotd")).expect("the shipped config parses");

    // Reproducible: the same inputs give the same bytes.
    let again = build_ipk(&work.join("again"));
    assert_eq!(std::fs::read(&ipk).unwrap(), std::fs::read(&again).unwrap(), "the ipk is not reproducible");
    let _ = std::fs::remove_dir_all(&work);
}
