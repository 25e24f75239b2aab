/**
 * A ustar archive holding one regular file, byte-for-byte reproducible (mtime 0, owner 0:0, mode 0644).
 * Enough for test images; not a general tar writer.
 */
export function createSingleFileTar(name: string, content: Uint8Array): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new RangeError("the file name must be 1 to 100 bytes");
  const header = Buffer.alloc(512, 0);
  nameBytes.copy(header, 0);
  writeOctal(header, 100, 8, 0o644); // mode
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, content.byteLength); // size
  writeOctal(header, 136, 12, 0); // mtime
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header.write("0", 156, "ascii"); // typeflag: regular file
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let checksum = 0;
  for (const byte of header) checksum += byte;
  header.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");

  const padding = (512 - (content.byteLength % 512)) % 512;
  // Two zero blocks end the archive.
  return Buffer.concat([header, content, Buffer.alloc(padding), Buffer.alloc(1024)]);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, "ascii");
}
