#include "exomock_system_crypto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

// The opaque type is libcrypto's EVP_PKEY; the cast is the only place the two meet.
exomock_rsa_key *exomock_rsa_key_from_pem(const char *pem, size_t pem_length) {
    if (pem == NULL || pem_length == 0 || pem_length > (size_t)INT32_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_length);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) return NULL;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return (exomock_rsa_key *)key;
}

size_t exomock_rsa_key_signature_size(const exomock_rsa_key *key) {
    int size = EVP_PKEY_get_size((const EVP_PKEY *)key);
    return size > 0 ? (size_t)size : 0;
}

int exomock_rs256_sign(const exomock_rsa_key *key, const uint8_t *data, size_t data_length,
                       uint8_t *signature, size_t *signature_length) {
    if (key == NULL || signature == NULL || signature_length == NULL) return 0;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return 0;
    int ok = EVP_DigestSignInit(context, NULL, EVP_sha256(), NULL, (EVP_PKEY *)key) == 1
        && EVP_DigestSign(context, signature, signature_length, data, data_length) == 1;
    EVP_MD_CTX_free(context);
    return ok ? 1 : 0;
}

void exomock_rsa_key_free(exomock_rsa_key *key) { EVP_PKEY_free((EVP_PKEY *)key); }

int exomock_cpu_has_avx512ifma(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("avx512ifma") ? 1 : 0;
#else
    return 0;
#endif
}

const char *exomock_system_crypto_version(void) { return OpenSSL_version(OPENSSL_VERSION); }
