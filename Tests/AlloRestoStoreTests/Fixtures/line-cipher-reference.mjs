// Independent reference for SIP password encryption, written against Node's crypto the way the original
// AlloResto (Node) does it: AES-256-GCM, key = PBKDF2-SHA256(hex-decoded ENCRYPTION_KEY, salt = phone line id,
// 100000 rounds, 32 bytes), 12-byte IV, "base64(iv):base64(tag):base64(ciphertext)".
// Usage: node line-cipher-reference.mjs encrypt KEYHEX LINEID PLAINTEXT [IVHEX]
//        node line-cipher-reference.mjs decrypt KEYHEX LINEID STORED
import crypto from 'node:crypto';

const [op, keyHex, lineId, value, ivHex] = process.argv.slice(2);
const key = crypto.pbkdf2Sync(Buffer.from(keyHex, 'hex'), lineId, 100000, 32, 'sha256');
if (op === 'encrypt') {
  const iv = ivHex ? Buffer.from(ivHex, 'hex') : crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const enc = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  process.stdout.write(`${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${enc.toString('base64')}`);
} else if (op === 'decrypt') {
  const [iv, tag, enc] = value.split(':').map((p) => Buffer.from(p, 'base64'));
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  process.stdout.write(Buffer.concat([decipher.update(enc), decipher.final()]).toString('utf8'));
} else {
  process.stderr.write('usage: encrypt|decrypt KEYHEX LINEID VALUE [IVHEX]\n');
  process.exit(2);
}
