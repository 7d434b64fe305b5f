import AlloRestoCore
import Crypto
import _CryptoExtras
import Foundation
import Synchronization

/// The 32-byte master key (`ENCRYPTION_KEY`, 64 hex characters).
public struct MasterKey: Sendable {
    let bytes: [UInt8]

    public init(hex: String) throws(StoreError) {
        let t = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.count == 64 else {
            throw .configuration("ENCRYPTION_KEY: expected 64 hexadecimal characters (32 bytes), got \(t.count) characters")
        }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var it = t.makeIterator()
        while let hi = it.next(), let lo = it.next() {
            guard let h = hi.hexDigitValue, let l = lo.hexDigitValue else {
                throw .configuration("ENCRYPTION_KEY: expected 64 hexadecimal characters (0-9, a-f); found a non-hex character")
            }
            out.append(UInt8(h << 4 | l))
        }
        bytes = out
    }

    /// A fresh random key, as hex (dev/demo mode keeps it in the data folder).
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Hex.lowercase($0) }
    }
}

/// Encrypts SIP passwords the way existing AlloResto databases do: AES-256-GCM, per-line key
/// PBKDF2-HMAC-SHA256(master key bytes, salt = phone line id, 100 000 rounds, 32 bytes), 12-byte random IV, stored as
/// `base64(iv):base64(authTag):base64(ciphertext)`. Derived keys are cached: the derivation is slow on purpose.
public final class LineSecretCipher: Sendable {
    private let master: MasterKey
    private let keys = Mutex<[String: SymmetricKey]>([:])
    public static let rounds = 100_000

    public init(master: MasterKey) { self.master = master }

    /// Whether a stored value has the encrypted layout (anything else is legacy plaintext).
    public static func looksEncrypted(_ stored: String) -> Bool {
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let iv = Data(base64Encoded: String(parts[0])), iv.count == 12,
              let tag = Data(base64Encoded: String(parts[1])), tag.count == 16,
              Data(base64Encoded: String(parts[2])) != nil
        else { return false }
        return true
    }

    func key(for lineId: String) throws(StoreError) -> SymmetricKey {
        if let k = keys.withLock({ $0[lineId] }) { return k }
        let derived: SymmetricKey
        do {
            derived = try KDF.Insecure.PBKDF2.deriveKey(
                from: master.bytes, salt: Array(lineId.utf8), using: .sha256, outputByteCount: 32,
                unsafeUncheckedRounds: LineSecretCipher.rounds)
        } catch {
            throw .secret("could not derive the phone line key: \(error)")
        }
        keys.withLock { $0[lineId] = derived }
        return derived
    }

    public func encrypt(_ plaintext: String, lineId: String, iv: [UInt8]? = nil) throws(StoreError) -> String {
        let key = try key(for: lineId)
        do {
            let nonce = try iv.map { try AES.GCM.Nonce(data: $0) } ?? AES.GCM.Nonce()
            let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, nonce: nonce)
            return [Data(box.nonce), box.tag, box.ciphertext].map { $0.base64EncodedString() }.joined(separator: ":")
        } catch {
            throw .secret("could not encrypt the SIP password: \(error)")
        }
    }

    /// Decrypts a stored value; legacy plaintext (not in the encrypted layout) is returned as is.
    /// A value in the encrypted layout that fails authentication is an error, never garbage.
    public func decrypt(_ stored: String, lineId: String) throws(StoreError) -> String {
        guard LineSecretCipher.looksEncrypted(stored) else { return stored }
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false).map { Data(base64Encoded: String($0))! }
        let key = try key(for: lineId)
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: parts[0]), ciphertext: parts[2], tag: parts[1])
            let plain = try AES.GCM.open(box, using: key)
            guard let text = String(data: plain, encoding: .utf8) else {
                throw StoreError.secret("the SIP password of phone line \(lineId) does not decrypt to text")
            }
            return text
        } catch let e as StoreError {
            throw e
        } catch {
            throw .secret("the SIP password of phone line \(lineId) cannot be decrypted: wrong ENCRYPTION_KEY or tampered value")
        }
    }
}
