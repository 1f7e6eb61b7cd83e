//! A small QR encoder (ISO/IEC 18004) for what printed vouchers need and nothing more: byte
//! mode, error correction level M, versions 1 to 10 (up to 213 bytes; a portal link with a
//! voucher code is version 3 or 4). Written here rather than taking `qrcodegen` (all modes,
//! 40 versions) for size: measured on x86-64 with opt-level z and LTO, this costs 11.6 KB
//! and `qrcodegen` 15.5 KB (no mips target here to measure on). Pure; checked module by
//! module against `qrcodegen` (a dev-dependency) and read back by `zbarimg` in the tests.

/// Per version 1..=10 at level M: error correction codewords per block, and blocks.
const ECC_PER_BLOCK: [usize; 10] = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
const BLOCKS: [usize; 10] = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
/// Level M's two format bits.
const LEVEL_M: u32 = 0;

/// An encoded symbol: `size` × `size` modules, dark `true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    version: usize,
    size: usize,
    modules: Vec<bool>,
    /// Modules of the function patterns (finders, timing, alignment, format, version).
    function: Vec<bool>,
    mask: u8,
}

impl Symbol {
    /// `text` as bytes at level M in the smallest version that holds it (1 to 10).
    pub fn encode(text: &[u8]) -> Option<Symbol> {
        let version = (1..=10).find(|&v| 4 + count_bits(v) + 8 * text.len() <= data_codewords(v) * 8)?;
        let data = data_bits(text, version);
        let codewords = add_ecc_and_interleave(&data, version);
        let size = 4 * version + 17;
        let mut s = Symbol { version, size, modules: vec![false; size * size], function: vec![false; size * size], mask: 0 };
        s.draw_function_patterns();
        s.draw_codewords(&codewords);
        // The mask with the lowest penalty (ties: the lowest number).
        let mut best = (u32::MAX, 0);
        for mask in 0..8 {
            s.apply_mask(mask);
            s.draw_format_bits(mask);
            let penalty = s.penalty();
            if penalty < best.0 {
                best = (penalty, mask);
            }
            s.apply_mask(mask); // XOR again: undone
        }
        s.mask = best.1;
        s.apply_mask(best.1);
        s.draw_format_bits(best.1);
        Some(s)
    }

    pub fn size(&self) -> i32 {
        self.size as i32
    }

    pub fn version(&self) -> u8 {
        self.version as u8
    }

    pub fn mask(&self) -> u8 {
        self.mask
    }

    /// Whether the module at column `x`, row `y` is dark (outside: light).
    pub fn get_module(&self, x: i32, y: i32) -> bool {
        (0..self.size as i32).contains(&x) && (0..self.size as i32).contains(&y) && self.modules[y as usize * self.size + x as usize]
    }

    fn set_function(&mut self, x: usize, y: usize, dark: bool) {
        self.modules[y * self.size + x] = dark;
        self.function[y * self.size + x] = true;
    }

    fn draw_function_patterns(&mut self) {
        let size = self.size;
        for i in 0..size {
            self.set_function(6, i, i % 2 == 0);
            self.set_function(i, 6, i % 2 == 0);
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4i32..=4 {
                for dx in -4i32..=4 {
                    let (xx, yy) = (x as i32 + dx, y as i32 + dy);
                    if (0..size as i32).contains(&xx) && (0..size as i32).contains(&yy) {
                        let dist = dx.abs().max(dy.abs());
                        self.set_function(xx as usize, yy as usize, dist != 2 && dist != 4);
                    }
                }
            }
        }
        let align = alignment_positions(self.version);
        let last = align.len().saturating_sub(1);
        for (i, &ax) in align.iter().enumerate() {
            for (j, &ay) in align.iter().enumerate() {
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
                    continue;
                }
                for dy in -2i32..=2 {
                    for dx in -2i32..=2 {
                        self.set_function((ax as i32 + dx) as usize, (ay as i32 + dy) as usize, dx.abs().max(dy.abs()) != 1);
                    }
                }
            }
        }
        self.draw_format_bits(0); // reserves the area; drawn for real after masking
        if self.version >= 7 {
            let mut rem = self.version as u32;
            for _ in 0..12 {
                rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
            }
            let bits = (self.version as u32) << 12 | rem;
            for i in 0..18 {
                let dark = bits >> i & 1 == 1;
                let (a, b) = (size - 11 + i % 3, i / 3);
                self.set_function(a, b, dark);
                self.set_function(b, a, dark);
            }
        }
    }

    fn draw_format_bits(&mut self, mask: u8) {
        let bits = format_bits(mask);
        let bit = |i: usize| bits >> i & 1 == 1;
        let size = self.size;
        for i in 0..6 {
            self.set_function(8, i, bit(i));
        }
        self.set_function(8, 7, bit(6));
        self.set_function(8, 8, bit(7));
        self.set_function(7, 8, bit(8));
        for i in 9..15 {
            self.set_function(14 - i, 8, bit(i));
        }
        for i in 0..8 {
            self.set_function(size - 1 - i, 8, bit(i));
        }
        for i in 8..15 {
            self.set_function(8, size - 15 + i, bit(i));
        }
        self.set_function(8, size - 8, true);
    }

    /// The data and ECC bits in the zig-zag of two-module columns, right to left.
    fn draw_codewords(&mut self, codewords: &[u8]) {
        let size = self.size;
        let mut i = 0;
        let mut right = size as i32 - 1;
        while right >= 1 {
            if right == 6 {
                right = 5;
            }
            for vert in 0..size {
                for j in 0..2 {
                    let x = (right - j) as usize;
                    let upward = (right + 1) & 2 == 0;
                    let y = if upward { size - 1 - vert } else { vert };
                    if !self.function[y * size + x] && i < codewords.len() * 8 {
                        self.modules[y * size + x] = codewords[i >> 3] >> (7 - (i & 7)) & 1 == 1;
                        i += 1;
                    }
                }
            }
            right -= 2;
        }
    }

    fn apply_mask(&mut self, mask: u8) {
        for y in 0..self.size {
            for x in 0..self.size {
                let flip = match mask {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                let at = y * self.size + x;
                self.modules[at] ^= flip && !self.function[at];
            }
        }
    }

    /// The standard's four penalty rules: runs of five or more, 2×2 blocks, finder-like
    /// 1:1:3:1:1 patterns with four light modules beside, and dark/light imbalance.
    fn penalty(&self) -> u32 {
        let n = self.size;
        let at = |x: usize, y: usize, columns: bool| if columns { self.modules[x * n + y] } else { self.modules[y * n + x] };
        let mut penalty = 0;
        for columns in [false, true] {
            for y in 0..n {
                let mut run = 1;
                for x in 1..=n {
                    if x < n && at(x, y, columns) == at(x - 1, y, columns) {
                        run += 1;
                    } else {
                        if run >= 5 {
                            penalty += run - 2;
                        }
                        run = 1;
                    }
                }
                // Finder-like: dark runs 1:1:3:1:1 (any scale) with a light run of 4 on a
                // side; outside the symbol counts as light (the quiet zone).
                let mut runs: Vec<(bool, usize)> = vec![(false, n)];
                for x in 0..n {
                    let c = at(x, y, columns);
                    match runs.last_mut() {
                        Some((colour, len)) if *colour == c => *len += 1,
                        _ => runs.push((c, 1)),
                    }
                }
                match runs.last_mut() {
                    Some((false, len)) => *len += n,
                    _ => runs.push((false, n)),
                }
                for w in runs.windows(7) {
                    let u = w[1].1;
                    if w[1].0 && w[2].1 == u && w[3].1 == 3 * u && w[4].1 == u && w[5].1 == u {
                        penalty += 40 * (u32::from(w[0].1 >= 4 * u && w[6].1 >= u) + u32::from(w[6].1 >= 4 * u && w[0].1 >= u));
                    }
                }
            }
        }
        for y in 0..n - 1 {
            for x in 0..n - 1 {
                let c = self.modules[y * n + x];
                if c == self.modules[y * n + x + 1] && c == self.modules[(y + 1) * n + x] && c == self.modules[(y + 1) * n + x + 1] {
                    penalty += 3;
                }
            }
        }
        let dark = self.modules.iter().filter(|&&d| d).count() as u32;
        let total = (n * n) as u32;
        let k = (((dark * 20).abs_diff(total * 10) + total - 1) / total).saturating_sub(1);
        penalty + k * 10
    }
}

/// The 15 format bits of level M with `mask` (BCH-coded, XOR-masked).
fn format_bits(mask: u8) -> u32 {
    let data = LEVEL_M << 3 | u32::from(mask);
    let mut rem = data;
    for _ in 0..10 {
        rem = (rem << 1) ^ ((rem >> 9) * 0x537);
    }
    (data << 10 | rem) ^ 0x5412
}

/// Bits of the character count in byte mode.
fn count_bits(version: usize) -> usize {
    if version <= 9 { 8 } else { 16 }
}

/// Modules left for data and ECC once the function patterns are drawn.
fn raw_modules(version: usize) -> usize {
    let mut result = (16 * version + 128) * version + 64;
    if version >= 2 {
        let align = version / 7 + 2;
        result -= (25 * align - 10) * align - 55;
        if version >= 7 {
            result -= 36;
        }
    }
    result
}

fn data_codewords(version: usize) -> usize {
    raw_modules(version) / 8 - ECC_PER_BLOCK[version - 1] * BLOCKS[version - 1]
}

/// Centres of the alignment patterns along each axis.
fn alignment_positions(version: usize) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let step = (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
    let size = 4 * version + 17;
    let mut out: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
    out.push(6);
    out.reverse();
    out
}

/// Mode, count, the bytes, terminator and padding: the data codewords.
fn data_bits(text: &[u8], version: usize) -> Vec<u8> {
    let capacity = data_codewords(version);
    let mut bits: Vec<bool> = Vec::with_capacity(capacity * 8);
    let mut push = |value: usize, len: usize| (0..len).rev().for_each(|i| bits.push(value >> i & 1 == 1));
    push(0b0100, 4);
    push(text.len(), count_bits(version));
    for &b in text {
        push(b.into(), 8);
    }
    let terminator = (capacity * 8 - bits.len()).min(4);
    bits.extend(std::iter::repeat_n(false, terminator));
    bits.extend(std::iter::repeat_n(false, (8 - bits.len() % 8) % 8));
    let mut bytes: Vec<u8> = bits.chunks(8).map(|c| c.iter().fold(0, |acc, &b| acc << 1 | u8::from(b))).collect();
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if bytes.len() >= capacity {
            break;
        }
        bytes.push(pad);
    }
    bytes
}

/// Splits the data into blocks, adds each block's Reed-Solomon codewords, interleaves.
fn add_ecc_and_interleave(data: &[u8], version: usize) -> Vec<u8> {
    let (blocks, ecc_len) = (BLOCKS[version - 1], ECC_PER_BLOCK[version - 1]);
    let raw = raw_modules(version) / 8;
    let short_blocks = blocks - raw % blocks;
    let short_len = raw / blocks;
    let divisor = rs_divisor(ecc_len);
    let mut all: Vec<Vec<u8>> = Vec::with_capacity(blocks);
    let mut k = 0;
    for i in 0..blocks {
        let len = short_len - ecc_len + usize::from(i >= short_blocks);
        let mut block = data[k..k + len].to_vec();
        k += len;
        let ecc = rs_remainder(&block, &divisor);
        if i < short_blocks {
            block.push(0); // a placeholder, skipped below
        }
        block.extend_from_slice(&ecc);
        all.push(block);
    }
    let mut out = Vec::with_capacity(raw);
    for i in 0..all[0].len() {
        for (j, block) in all.iter().enumerate() {
            if i != short_len - ecc_len || j >= short_blocks {
                out.push(block[i]);
            }
        }
    }
    out
}

/// Product in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
fn gf_mul(x: u8, y: u8) -> u8 {
    let mut z: u16 = 0;
    for i in (0..8).rev() {
        z = (z << 1) ^ ((z >> 7) * 0x11D);
        z ^= u16::from(y >> i & 1) * u16::from(x);
    }
    z as u8
}

/// The generator polynomial of `degree` (leading 1 left out), highest power first.
fn rs_divisor(degree: usize) -> Vec<u8> {
    let mut result = vec![0u8; degree];
    result[degree - 1] = 1;
    let mut root: u8 = 1;
    for _ in 0..degree {
        for j in 0..degree {
            result[j] = gf_mul(result[j], root);
            if j + 1 < degree {
                result[j] ^= result[j + 1];
            }
        }
        root = gf_mul(root, 0x02);
    }
    result
}

fn rs_remainder(data: &[u8], divisor: &[u8]) -> Vec<u8> {
    let mut result = vec![0u8; divisor.len()];
    for &b in data {
        let factor = b ^ result.remove(0);
        result.push(0);
        for (r, &d) in result.iter_mut().zip(divisor) {
            *r ^= gf_mul(d, factor);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

    fn reference(text: &[u8], mask: u8) -> QrCode {
        let segs = [QrSegment::make_bytes(text)];
        QrCode::encode_segments_advanced(&segs, QrCodeEcc::Medium, Version::new(1), Version::new(10), Some(Mask::new(mask)), false).unwrap()
    }

    #[test]
    fn every_module_matches_the_reference_encoder_for_versions_1_to_10() {
        // Lengths that land in every version, including v7+ (version bits) and v10 (16-bit count).
        for len in [0, 1, 14, 15, 26, 42, 62, 84, 106, 122, 152, 180, 213] {
            let url = b"http://10.0.0.1:2050/login?voucher=K7MX3QPAB";
            let text: Vec<u8> = (0..len).map(|i| url[i % url.len()]).collect();
            let ours = Symbol::encode(&text).unwrap();
            let theirs = reference(&text, ours.mask());
            assert_eq!((ours.size(), ours.version()), (theirs.size(), theirs.version().value()), "len {len}");
            for y in 0..ours.size() {
                for x in 0..ours.size() {
                    assert_eq!(ours.get_module(x, y), theirs.get_module(x, y), "len {len} mask {} at ({x},{y})", ours.mask());
                }
            }
        }
        assert!(Symbol::encode(&[b'x'; 214]).is_none());
    }

    #[test]
    fn the_mask_is_the_one_the_reference_picks_for_voucher_links() {
        for code in ["K7MX3QPAB", "ABCDEFGHJ", "ZZZZZZZZZ", "23456789A"] {
            let text = format!("http://192.168.1.1:2050/login?voucher={code}");
            let ours = Symbol::encode(text.as_bytes()).unwrap();
            let segs = [QrSegment::make_bytes(text.as_bytes())];
            let theirs = QrCode::encode_segments_advanced(&segs, QrCodeEcc::Medium, Version::new(1), Version::new(10), None, false).unwrap();
            assert_eq!(ours.mask(), theirs.mask().value(), "{text}");
        }
    }

    #[test]
    fn known_pieces_of_the_standard() {
        // ISO/IEC 18004 table C.1: level M with mask 0 is 101010000010010.
        assert_eq!(format_bits(0), 0b101010000010010);
        assert_eq!(Symbol::encode(b"01234567").unwrap().version(), 1);
        // The generator polynomial of 10 ECC codewords: α^251 α^67 α^46 α^61 α^118 α^70 α^64 α^94 α^32 α^45.
        let alpha = |e: usize| (0..e).fold(1u8, |acc, _| gf_mul(acc, 2));
        let want: Vec<u8> = [251, 67, 46, 61, 118, 70, 64, 94, 32, 45].into_iter().map(alpha).collect();
        assert_eq!(rs_divisor(10), want);
        assert_eq!(alignment_positions(7), [6, 22, 38]);
        assert_eq!((data_codewords(1), data_codewords(4), data_codewords(10)), (16, 64, 216));
    }
}
