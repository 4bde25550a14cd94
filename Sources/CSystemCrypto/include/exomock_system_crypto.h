// RS256 signing through the system's OpenSSL 3 (libcrypto).
//
// Why: on CPUs with AVX-512 IFMA, OpenSSL 3 signs RSA-2048 2-2.4x faster than BoringSSL, and RS256
// signing bounds the token endpoint; without IFMA the two are equal (docs/benchmarks.md).
// swift-crypto keeps the key and verifies; this only signs.
#ifndef EXOMOCK_SYSTEM_CRYPTO_H
#define EXOMOCK_SYSTEM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An RSA private key held by libcrypto. Immutable once loaded: OpenSSL 3 allows one key to be used
/// for signing from many threads at once as long as each signature has its own context, which
/// exomock_rs256_sign makes.
typedef struct exomock_rsa_key exomock_rsa_key;

/// Loads a PEM private key (PKCS#1 or PKCS#8). NULL when libcrypto cannot read it or it is not RSA.
exomock_rsa_key *exomock_rsa_key_from_pem(const char *pem, size_t pem_length);

/// The size of a signature by `key`, in bytes (256 for RSA-2048).
size_t exomock_rsa_key_signature_size(const exomock_rsa_key *key);

/// RSASSA-PKCS1-v1_5 with SHA-256 over `data`. Writes at most `*signature_length` bytes to
/// `signature` and sets `*signature_length` to the length written. Returns 1 on success, 0 on failure.
int exomock_rs256_sign(const exomock_rsa_key *key, const uint8_t *data, size_t data_length,
                       uint8_t *signature, size_t *signature_length);

void exomock_rsa_key_free(exomock_rsa_key *key);

/// 1 when the CPU has AVX-512 IFMA, the instructions OpenSSL 3's fast RSA path needs (BoringSSL
/// has no such path); 0 otherwise.
int exomock_cpu_has_avx512ifma(void);

/// libcrypto's version text, e.g. "OpenSSL 3.0.19 ...".
const char *exomock_system_crypto_version(void);

#ifdef __cplusplus
}
#endif

#endif
