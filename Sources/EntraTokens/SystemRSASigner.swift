import CSystemCrypto
import Foundation

/// Which library computes RS256 signatures. Both give the same bytes (RSASSA-PKCS1-v1_5 is
/// deterministic); they differ in speed only. The system's OpenSSL 3 signs 2-2.4x as fast as
/// BoringSSL on CPUs with AVX-512 IFMA and at the same speed without it (docs/benchmarks.md).
public enum RS256Backend: String, Sendable, CaseIterable {
    /// The system's libcrypto (OpenSSL 3), through the CSystemCrypto target.
    case openssl
    /// swift-crypto's BoringSSL.
    case boringssl

    /// The faster backend on this CPU: OpenSSL when the CPU has AVX-512 IFMA, BoringSSL otherwise
    /// (OpenSSL without IFMA is no faster, and BoringSSL needs no second library at run time).
    public static var fastestOnThisCPU: RS256Backend { exomock_cpu_has_avx512ifma() == 1 ? .openssl : .boringssl }

    /// The backend a process uses: `EXOMOCK_RS256_BACKEND` (`openssl` or `boringssl`) when set, for
    /// benchmarks that compare the two; otherwise `fastestOnThisCPU`. Read once.
    public static let processDefault: RS256Backend = {
        guard let value = ProcessInfo.processInfo.environment["EXOMOCK_RS256_BACKEND"] else { return fastestOnThisCPU }
        guard let backend = RS256Backend(rawValue: value.lowercased()) else {
            FileHandle.standardError.write(
                Data(
                    "exomock: EXOMOCK_RS256_BACKEND=\(value) is not a backend; use openssl or boringssl. Using \(fastestOnThisCPU.rawValue).\n"
                        .utf8))
            return fastestOnThisCPU
        }
        return backend
    }()

    /// The system libcrypto's version text.
    public static var systemOpenSSLVersion: String { String(cString: exomock_system_crypto_version()) }
}

/// An RSA private key loaded into the system's libcrypto, used only to sign.
///
/// `@unchecked Sendable`: the wrapped `EVP_PKEY` is never mutated after `init` (no setter, no
/// re-keying), and OpenSSL 3 documents that a key may be used from many threads at once when each
/// operation has its own context; `exomock_rs256_sign` creates a fresh `EVP_MD_CTX` per call. The
/// pointer is freed only in `deinit`, when no other reference can exist.
final class SystemRSAKey: @unchecked Sendable {
    private let key: OpaquePointer
    private let signatureSize: Int

    /// nil when libcrypto cannot read the PEM as an RSA key.
    init?(pem: String) {
        let loaded: OpaquePointer? = pem.utf8CString.withUnsafeBufferPointer { buffer in
            // The C string's length without its terminating NUL.
            exomock_rsa_key_from_pem(buffer.baseAddress, buffer.count - 1)
        }
        guard let loaded else { return nil }
        key = loaded
        signatureSize = exomock_rsa_key_signature_size(loaded)
    }

    deinit { exomock_rsa_key_free(key) }

    /// RS256 over `data`; nil if libcrypto refuses (it does not for a key it loaded).
    func sign(_ data: Data) -> Data? {
        var signature = Data(count: signatureSize)
        var length = signatureSize
        let ok = signature.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                exomock_rs256_sign(
                    key, input.bindMemory(to: UInt8.self).baseAddress, input.count,
                    out.bindMemory(to: UInt8.self).baseAddress, &length)
            }
        }
        guard ok == 1 else { return nil }
        signature.count = length
        return signature
    }
}
