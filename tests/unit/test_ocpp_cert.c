/* Unit tests of the OCPP certificate management (ocpp_cert.c) through the charge point core:
 * the hash data against openssl's own computation, InstallCertificate / GetInstalledCertificateIds
 * / DeleteCertificate with every refusal and its status, the client certificate renewal
 * (ExtendedTriggerMessage -> SignCertificate -> CertificateSigned) with the chain checks,
 * ExtendedTriggerMessage, CpoName and the SecurityProfile upgrade's prerequisites.
 *
 * The certificates below were made once with openssl 3.0 (EC P-256):
 *   root:  openssl req -x509 -new -key ca.key -days 36500 -subj "/CN=ocpp-unit-root/O=Test CPO"
 *          -set_serial 0x00f1e2d3c4b5
 *   leaves: openssl x509 -req ... -extfile (basicConstraints=critical,CA:FALSE)
 * and the expected hash data with
 *   openssl ocsp -issuer ca.pem -sha256 -cert ca.pem -req_text -no_nonce
 * (openssl prints root2's serial as 0FFF; the whitepaper drops leading zeros: FFF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ocpp_test_csms.h"

#include "fake_ocpp_ops.h"
#include "ocpp/ocpp_cert.h"
#include "ocpp/ocpp_cp.h"

static const char k_root[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBojCCAUegAwIBAgIGAPHi08S1MAoGCCqGSM49BAMCMCwxFzAVBgNVBAMMDm9j\n"
    "cHAtdW5pdC1yb290MREwDwYDVQQKDAhUZXN0IENQTzAgFw0yNjEyMDYwMTU5NDBa\n"
    "GA8yMTI2MTExMjAxNTk0MFowLDEXMBUGA1UEAwwOb2NwcC11bml0LXJvb3QxETAP\n"
    "BgNVBAoMCFRlc3QgQ1BPMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcDu3cKMm\n"
    "2SbPvGU96gyxkpVtcA11YGySWC6jlufFL/5HmIIRjkVUTnowb/xDrzTLQjXgC0cO\n"
    "cR07N8Vtcac1kaNTMFEwHQYDVR0OBBYEFDExyhk6UN0EwBvjPcfbtmNmrhXbMB8G\n"
    "A1UdIwQYMBaAFDExyhk6UN0EwBvjPcfbtmNmrhXbMA8GA1UdEwEB/wQFMAMBAf8w\n"
    "CgYIKoZIzj0EAwIDSQAwRgIhALowwwQiI/flPHGIGsiUt+d5ZdH/2AJlZXv/0us/\n"
    "Mm88AiEAsLvugtvVtCxNUAWv/A62SuC6FVyE5zUxmZz0w/MXZdE=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_root2[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBbzCCARWgAwIBAgICD/8wCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKb3RoZXIt\n"
    "cm9vdDAgFw0yNjEyMDYwMjEzMDVaGA8yMTI2MTExMjAyMTMwNVowFTETMBEGA1UE\n"
    "AwwKb3RoZXItcm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABEuA4PmtTP5O\n"
    "jQYECiqcKRhUbfR2FKNS5Xe5iYIXUCA2T4Lph+v2EFku7U2cpezewGzxvru/hzt0\n"
    "pW232wgmuYSjUzBRMB0GA1UdDgQWBBTpFOuStLY9mH925Royhh6pKQz2pjAfBgNV\n"
    "HSMEGDAWgBTpFOuStLY9mH925Royhh6pKQz2pjAPBgNVHRMBAf8EBTADAQH/MAoG\n"
    "CCqGSM49BAMCA0gAMEUCIG/pl9kGV0xGMROsZqlGS3mEGxP6VSzJbtAxf5CafWo7\n"
    "AiEA+N9qa+ivTyshjS59o/A+rAOHv3bYXi7jrXa/NpCBuh4=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_notca[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBNjCB3QIBBzAKBggqhkjOPQQDAjAsMRcwFQYDVQQDDA5vY3BwLXVuaXQtcm9v\n"
    "dDERMA8GA1UECgwIVGVzdCBDUE8wIBcNMjYxMjA2MDE1OTQzWhgPMjEyNjExMTIw\n"
    "MTU5NDNaMCExDDAKBgNVBAMMA0NQMTERMA8GA1UECgwIVGVzdCBDUE8wWTATBgcq\n"
    "hkjOPQIBBggqhkjOPQMBBwNCAARkNNIxNwBBQkeGAxPelGwDuBFyfozQVnQWnFKL\n"
    "21R2LMI/jknoiGcnTIKX07O+2ki7kBwncjqj+snx6E/46UP0MAoGCCqGSM49BAMC\n"
    "A0gAMEUCIC6uFBP0R2CoF40ds6ECOqgMxnePj51AU7jLUixryMxVAiEAiz+MDfhQ\n"
    "o6V08JB+lMY1GSndG5mR6XJqB+UtVnwTa48=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_cpleaf[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnjCCAUSgAwIBAgIBZDAKBggqhkjOPQQDAjAsMRcwFQYDVQQDDA5vY3BwLXVu\n"
    "aXQtcm9vdDERMA8GA1UECgwIVGVzdCBDUE8wIBcNMjYxMjA2MDIxMzA2WhgPMjEy\n"
    "NjExMTIwMjEzMDZaMCExDDAKBgNVBAMMA0NQMTERMA8GA1UECgwIVGVzdCBDUE8w\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT1PHz9LWjIJqB9GwH7iIJ1EY5Kw0gr\n"
    "gAJmhmaHXgqvVL9p+iT99XWUtuDsVCw8fRncN4CmKe0zPcFNeKAOsTh+o2AwXjAM\n"
    "BgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIDiDAdBgNVHQ4EFgQUXelFHdZQ3QVJ\n"
    "9SxkGtrYo8P89vowHwYDVR0jBBgwFoAUMTHKGTpQ3QTAG+M9x9u2Y2auFdswCgYI\n"
    "KoZIzj0EAwIDSAAwRQIgAM3pWIz0qhufQLzZN1x1WqsQZkN2gc9YFMvBJ8/TMeMC\n"
    "IQDxEtVDeiEFIMrH5LDof1TF1oeHMWc6ckrhJRBXHsf5/Q==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_cpleaf2[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhjCCAS2gAwIBAgIBZTAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApvdGhlci1y\n"
    "b290MCAXDTI2MTIwNjAyMTMwNloYDzIxMjYxMTEyMDIxMzA2WjAhMQwwCgYDVQQD\n"
    "DANDUDExETAPBgNVBAoMCFRlc3QgQ1BPMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "QgAE9Tx8/S1oyCagfRsB+4iCdRGOSsNIK4ACZoZmh14Kr1S/afok/fV1lLbg7FQs\n"
    "PH0Z3DeApintMz3BTXigDrE4fqNgMF4wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8E\n"
    "BAMCA4gwHQYDVR0OBBYEFF3pRR3WUN0FSfUsZBra2KPD/Pb6MB8GA1UdIwQYMBaA\n"
    "FOkU65K0tj2Yf3blGjKGHqkpDPamMAoGCCqGSM49BAMCA0cAMEQCIGhDmGpoS8s9\n"
    "SVAlMmolQgRdgWDOyZTr7puQ5eMIq/RWAiBMcmQWWW5WO06lFdynchj7WBVySMs0\n"
    "EJGNiO2GQjNE7Q==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_foreign[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnDCCAUSgAwIBAgIBZjAKBggqhkjOPQQDAjAsMRcwFQYDVQQDDA5vY3BwLXVu\n"
    "aXQtcm9vdDERMA8GA1UECgwIVGVzdCBDUE8wIBcNMjYxMjA2MDIxMzA2WhgPMjEy\n"
    "NjExMTIwMjEzMDZaMCExDDAKBgNVBAMMA0NQMTERMA8GA1UECgwIVGVzdCBDUE8w\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQvyhYoNItevZIVJFUWDl22ZIYbFBwS\n"
    "gixwG3QhhaH1+3w3988WxPu73fV44wY93ThE0i4yckzJq00yyJVNnK5Co2AwXjAM\n"
    "BgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIDiDAdBgNVHQ4EFgQUbvZCgdGShbni\n"
    "KjRZqKtcPZRWBxMwHwYDVR0jBBgwFoAUMTHKGTpQ3QTAG+M9x9u2Y2auFdswCgYI\n"
    "KoZIzj0EAwIDRgAwQwIfZ1ypOup38iUNnstbYmf0JsvV2bF/uIrqXNEWY8MC+gIg\n"
    "Q/eqJZSCAk6MV50K+wNVyL/P/Px5gPRPgafvFAoZteg=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_sub[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBljCCATugAwIBAgIBZzAKBggqhkjOPQQDAjAsMRcwFQYDVQQDDA5vY3BwLXVu\n"
    "aXQtcm9vdDERMA8GA1UECgwIVGVzdCBDUE8wIBcNMjYxMjA2MDIxMzA2WhgPMjEy\n"
    "NjExMTIwMjEzMDZaMBIxEDAOBgNVBAMMB2Nwby1zdWIwWTATBgcqhkjOPQIBBggq\n"
    "hkjOPQMBBwNCAARA3SQJeC2+iAVVKggEUhNaU7e4QiL6uK7uwi35Lk5w88OibcF7\n"
    "7L2rHlQ+RAsJF8L/HYJZH2Pke9ySsbuReCQXo2YwZDASBgNVHRMBAf8ECDAGAQH/\n"
    "AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUokUhzwittZIL1C6PevZJw0ZQ\n"
    "To0wHwYDVR0jBBgwFoAUMTHKGTpQ3QTAG+M9x9u2Y2auFdswCgYIKoZIzj0EAwID\n"
    "SQAwRgIhAMosKjSPivq9k8f8S/UxyzU6/68dOz108EGSr97zJB+/AiEA2f96nKux\n"
    "5MbauuBiNx3Ge6GiBvykl31O0S2V96DJiSQ=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_cpleaf_sub[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhTCCASqgAwIBAgIBaDAKBggqhkjOPQQDAjASMRAwDgYDVQQDDAdjcG8tc3Vi\n"
    "MCAXDTI2MTIwNjAyMTMwNloYDzIxMjYxMTEyMDIxMzA2WjAhMQwwCgYDVQQDDAND\n"
    "UDExETAPBgNVBAoMCFRlc3QgQ1BPMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
    "9Tx8/S1oyCagfRsB+4iCdRGOSsNIK4ACZoZmh14Kr1S/afok/fV1lLbg7FQsPH0Z\n"
    "3DeApintMz3BTXigDrE4fqNgMF4wDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMC\n"
    "A4gwHQYDVR0OBBYEFF3pRR3WUN0FSfUsZBra2KPD/Pb6MB8GA1UdIwQYMBaAFKJF\n"
    "Ic8IrbWSC9Quj3r2ScNGUE6NMAoGCCqGSM49BAMCA0kAMEYCIQCTNKvIjIL7eIDi\n"
    "NsH2/q/ieTYBwhVOtt8dBkaTSkgAiAIhAPcF1mMvjRkQGFRWm23fwzt4kUFiJGAO\n"
    "HkJ6jlPvx0iw\n"
    "-----END CERTIFICATE-----\n"
    ;
/* the charge point key's public point (openssl ec -pubout, the last 65 bytes) */
static const uint8_t k_cp_pub[65] = {0x04, 0xf5, 0x3c, 0x7c, 0xfd, 0x2d, 0x68, 0xc8, 0x26, 0xa0, 0x7d, 0x1b, 0x01, 0xfb, 0x88, 0x82, 0x75, 0x11, 0x8e, 0x4a, 0xc3, 0x48, 0x2b, 0x80, 0x02, 0x66, 0x86, 0x66, 0x87, 0x5e, 0x0a, 0xaf, 0x54, 0xbf, 0x69, 0xfa, 0x24, 0xfd, 0xf5, 0x75, 0x94, 0xb6, 0xe0, 0xec, 0x54, 0x2c, 0x3c, 0x7d, 0x19, 0xdc, 0x37, 0x80, 0xa6, 0x29, 0xed, 0x33, 0x3d, 0xc1, 0x4d, 0x78, 0xa0, 0x0e, 0xb1, 0x38, 0x7e};
static const char k_r3[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBXTCCAQSgAwIBAgIBAzAKBggqhkjOPQQDAjANMQswCQYDVQQDDAJyMzAgFw0y\n"
    "NjEyMDYwMjEzMjhaGA8yMTI2MTExMjAyMTMyOFowDTELMAkGA1UEAwwCcjMwWTAT\n"
    "BgcqhkjOPQIBBggqhkjOPQMBBwNCAASaNyu1WwysiBhXhH4X55KQxdGbt6NL0GJO\n"
    "qA+M2LmzlTgR9zVHf8c2P/3Ek4QKz/i3pxzdn2OMpVMyVaf4QZz2o1MwUTAdBgNV\n"
    "HQ4EFgQUoSOSLfB96tm9ldnKAKvMXSjE4zkwHwYDVR0jBBgwFoAUoSOSLfB96tm9\n"
    "ldnKAKvMXSjE4zkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBT\n"
    "N0DcqSEKdNzTAkZkAmgfYDNWchDnG6rO7an3ZttdpwIgJhI7RbNER0jc19+JXbLH\n"
    "Cih4pId+6YbXE9uCwcbi/ZI=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_r4[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBXjCCAQSgAwIBAgIBBDAKBggqhkjOPQQDAjANMQswCQYDVQQDDAJyNDAgFw0y\n"
    "NjEyMDYwMjEzMjhaGA8yMTI2MTExMjAyMTMyOFowDTELMAkGA1UEAwwCcjQwWTAT\n"
    "BgcqhkjOPQIBBggqhkjOPQMBBwNCAASn6D4tHVnaB8laAUz9MXuMUhdgoIv9mTMD\n"
    "CjdTrQykH6xT8GVLxniPs5Px5hOp3E/PFnn1Yu7AWyWaKr9CJxHZo1MwUTAdBgNV\n"
    "HQ4EFgQU8ztbcH+5kJyehtc3ZowhaOWGP/kwHwYDVR0jBBgwFoAU8ztbcH+5kJye\n"
    "htc3ZowhaOWGP/kwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBX\n"
    "OGE6UWDnIlZErK7Pxi0RbBOh9Bi0FPinpCgQwIVStQIhANbMUNuZ7s2BECet2cDh\n"
    "//ZFy32uYq/ZXCRAdKSFHnV7\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char k_r5[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBXzCCAQSgAwIBAgIBBTAKBggqhkjOPQQDAjANMQswCQYDVQQDDAJyNTAgFw0y\n"
    "NjEyMDYwMjEzMjlaGA8yMTI2MTExMjAyMTMyOVowDTELMAkGA1UEAwwCcjUwWTAT\n"
    "BgcqhkjOPQIBBggqhkjOPQMBBwNCAARz3kZ4giCwlm1z/r12Z0HWa3w9CCF/qWtR\n"
    "kjd5GFHWhQcLcjEz3+/994AuGzvo21Jl9A7OvrDLFUM6zC0JYrhUo1MwUTAdBgNV\n"
    "HQ4EFgQUYQunTgkyN0gpK1gIkfo6agmT/sQwHwYDVR0jBBgwFoAUYQunTgkyN0gp\n"
    "K1gIkfo6agmT/sQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA\n"
    "gYDHQz+eQWvkVN1R/g90qd8nzeidjElGrjiUqqvh33cCIQCvyh2bHC/e9TRyEvLz\n"
    "W6/FcIU010V9GP1wRZ1KySFtmg==\n"
    "-----END CERTIFICATE-----\n"
    ;
/* the root's public point: the key its children's signatures are checked with */
static const uint8_t k_root_pub[65] = {0x04, 0x70, 0x3b, 0xb7, 0x70, 0xa3, 0x26, 0xd9, 0x26, 0xcf, 0xbc, 0x65, 0x3d, 0xea, 0x0c, 0xb1, 0x92, 0x95, 0x6d, 0x70, 0x0d, 0x75, 0x60, 0x6c, 0x92, 0x58, 0x2e, 0xa3, 0x96, 0xe7, 0xc5, 0x2f, 0xfe, 0x47, 0x98, 0x82, 0x11, 0x8e, 0x45, 0x54, 0x4e, 0x7a, 0x30, 0x6f, 0xfc, 0x43, 0xaf, 0x34, 0xcb, 0x42, 0x35, 0xe0, 0x0b, 0x47, 0x0e, 0x71, 0x1d, 0x3b, 0x37, 0xc5, 0x6d, 0x71, 0xa7, 0x35, 0x91};

/* openssl ocsp -req_text of the two roots */
#define ROOT_NAME_HASH "8876FE8AF9991DDA86A219638750FD3E9E24227C93783CFC689C3A2FEBFEA86E"
#define ROOT_KEY_HASH "DC02A25B54DE343FD8CD0377585A978B4AC2C7BA627611692DDB139B50CFDD45"
#define ROOT_SERIAL "F1E2D3C4B5"
#define ROOT2_NAME_HASH "74872850C92D41821125D5FCB3E29921ECFC09C82D5F4C6C7EC74544DC9A98B8"
#define ROOT2_KEY_HASH "F8C7A36E46D4CE5AA5797EEBFA1F66836F14890D1BF726C4DABD74F3C5C05E9F"

static struct ocpp_cp s_cp;
static struct ocpp_cert s_ce;
static struct ocpp_json s_j;
static uint32_t s_now;

/* ---- the board's side, recorded */
static int s_save_rc, s_saves, s_removes, s_install_rc, s_installs, s_switch_rc, s_switched;
static bool s_has_client;
static char s_cn[64], s_org[64], s_installed[4096];

static int b_save(void *ctx, unsigned slot, enum ocpp_cert_use use, const uint8_t *der, size_t len)
{
    (void)ctx, (void)slot, (void)use, (void)der;
    if (s_save_rc == HAL_OK) {
        len > 0 ? s_saves++ : s_removes++;
    }
    return s_save_rc;
}
static int b_csr(void *ctx, const char *cn, const char *org, char *pem, size_t cap, uint8_t *pub, size_t pub_cap,
                 size_t *pub_len)
{
    (void)ctx;
    snprintf(s_cn, sizeof s_cn, "%s", cn);
    snprintf(s_org, sizeof s_org, "%s", org);
    snprintf(pem, cap, "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n");
    assert_true(pub_cap >= sizeof k_cp_pub);
    memcpy(pub, k_cp_pub, sizeof k_cp_pub);
    *pub_len = sizeof k_cp_pub;
    return HAL_OK;
}
static int b_install(void *ctx, const char *pem, size_t len)
{
    (void)ctx;
    if (s_install_rc == HAL_OK) {
        s_installs++;
        snprintf(s_installed, sizeof s_installed, "%.*s", (int)len, pem);
    }
    return s_install_rc;
}
static bool b_has_client(void *ctx)
{
    (void)ctx;
    return s_has_client;
}
static int b_switch(void *ctx, unsigned profile)
{
    (void)ctx;
    if (s_switch_rc == HAL_OK) {
        s_switched = (int)profile;
    }
    return s_switch_rc;
}
static const struct ocpp_cert_ops k_cops = {b_save, b_csr, b_install, b_has_client, b_switch};

/* ---- a crypto port that says whether the right issuer key was asked */
static int s_verify_rc;
static unsigned s_verifies;
static uint8_t s_last_pub[65];
static int t_verify(struct hal_crypto *c, enum hal_crypto_curve curve, const uint8_t *pub, size_t pub_len,
                    const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    (void)c, (void)digest, (void)digest_len, (void)sig, (void)sig_len;
    assert_int_equal(curve, HAL_CRYPTO_SECP256R1);
    s_verifies++;
    memcpy(s_last_pub, pub, pub_len < sizeof s_last_pub ? pub_len : sizeof s_last_pub);
    return s_verify_rc;
}
static const struct hal_crypto_ops k_crops = {t_verify, NULL, NULL, NULL};
static struct hal_crypto s_crypto = {&k_crops};

/* 2027-01-05T21:00:00Z: after the fixtures were made (2026-12-06) */
#define T0 1799182800
/* notBefore of k_cpleaf, k_cpleaf_sub and k_sub (2026-12-06 02:13:06 UTC) */
#define CPLEAF_NOT_BEFORE 1796523186

static int setup(void **state)
{
    (void)state;
    struct ocpp_cp_info info = {"Acme", "DC50", "SN1", "1.0", NULL, NULL, 2};
    struct ocpp_cp_config cfg;
    ocpp_cp_default_config(&cfg);
    cfg.security_profile = 1;
    strcpy(cfg.authorization_key, "0123456789abcdef0123");
    ocpp_cp_init(&s_cp, &info, &cfg, &fake_ocpp_station_ops, NULL, NULL, 0x100u);
    ocpp_cert_init(&s_ce, &k_cops, NULL, &s_crypto, "CP1");
    s_cp.cert = &s_ce;
    s_now = 1000;
    ocpp_cp_set_clock(&s_cp, T0, s_now);
    s_save_rc = s_install_rc = s_switch_rc = s_verify_rc = HAL_OK;
    s_saves = s_removes = s_installs = s_switched = 0;
    s_verifies = 0;
    s_has_client = false;
    s_cn[0] = s_org[0] = s_installed[0] = '\0';
    return 0;
}

/* A CALL from the CSMS: the answer's payload token, or -1 for a CALLERROR (its code in @p code). */
static int call(const char *action, const char *payload, char code[48])
{
    int p = fake_ocpp_call(&s_cp, &s_j, s_now, action, payload, code, NULL);
    assert_int_not_equal(p, FAKE_OCPP_NO_ANSWER);
    return p;
}

static void expect_status(const char *action, const char *payload, const char *status)
{
    ocpp_test_expect_status(&s_cp, &s_j, s_now, action, payload, status);
}

static void expect_error(const char *action, const char *payload, const char *code)
{
    ocpp_test_expect_error(&s_cp, &s_j, s_now, action, payload, code, NULL);
}

/* A PEM text as a JSON string (newlines escaped). */
static const char *jstr(const char *pem)
{
    static char out[2][8192];
    static int which;
    char *o = out[which ^= 1];
    size_t n = 0;
    o[n++] = '"';
    for (const char *p = pem; *p != '\0' && n + 3u < sizeof out[0]; p++) {
        if (*p == '\n') {
            o[n++] = '\\';
            o[n++] = 'n';
        } else {
            o[n++] = *p;
        }
    }
    o[n++] = '"';
    o[n] = '\0';
    return o;
}

static void install(const char *type, const char *pem, const char *status)
{
    char p[8192];
    snprintf(p, sizeof p, "{\"certificateType\":\"%s\",\"certificate\":%s}", type, jstr(pem));
    expect_status("InstallCertificate", p, status);
}

static void delete(const char *name, const char *key, const char *serial, const char *alg, const char *status)
{
    char p[1024];
    snprintf(p, sizeof p,
             "{\"certificateHashData\":{\"hashAlgorithm\":\"%s\",\"issuerNameHash\":\"%s\",\"issuerKeyHash\":\"%s\","
             "\"serialNumber\":\"%s\"}}",
             alg, name, key, serial);
    expect_status("DeleteCertificate", p, status);
}

static void chain(const char *a, const char *b, const char *status)
{
    char pem[4096], p[8192];
    snprintf(pem, sizeof pem, "%s%s", a, b != NULL ? b : "");
    snprintf(p, sizeof p, "{\"certificateChain\":%s}", jstr(pem));
    expect_status("CertificateSigned", p, status);
}

static unsigned events_of(enum ocpp_sec_type t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s_cp.sec.count; i++) {
        n += s_cp.sec.ev[(s_cp.sec.head + i) % CFG_OCPP_SEC_EVENTS].type == t;
    }
    return n;
}

static size_t der_of(const char *pem, uint8_t *der, size_t cap)
{
    size_t pos = 0, n = 0;
    assert_int_equal(ocpp_cert_pem_next(pem, strlen(pem), &pos, der, cap, &n), 1);
    return n;
}

/* ------------------------------------------------------------------ tests */

static void test_hash_data(void **state)
{
    (void)state;
    uint8_t der[2048];
    char nh[65], kh[65], sn[41];
    size_t n = der_of(k_root, der, sizeof der);
    assert_int_equal(ocpp_cert_hash_data(der, n, nh, kh, sn), HAL_OK);
    assert_string_equal(nh, ROOT_NAME_HASH);
    assert_string_equal(kh, ROOT_KEY_HASH);
    assert_string_equal(sn, ROOT_SERIAL); /* the DER has 00 F1 ...: no leading zero in hex */
    n = der_of(k_root2, der, sizeof der);
    assert_int_equal(ocpp_cert_hash_data(der, n, nh, kh, sn), HAL_OK);
    assert_string_equal(nh, ROOT2_NAME_HASH);
    assert_string_equal(kh, ROOT2_KEY_HASH);
    assert_string_equal(sn, "FFF");
    /* PEM: a foreign character, a missing end line, nothing but whitespace */
    size_t pos = 0, len = 0;
    assert_int_equal(ocpp_cert_pem_next("-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n", 58, &pos, der,
                                        sizeof der, &len),
                     HAL_EINVAL);
    pos = 0;
    assert_int_equal(ocpp_cert_pem_next(k_root, 100, &pos, der, sizeof der, &len), HAL_EINVAL);
    pos = 0;
    assert_int_equal(ocpp_cert_pem_next(" \n", 2, &pos, der, sizeof der, &len), 0);
    pos = 0;
    assert_int_equal(ocpp_cert_pem_next(k_root, strlen(k_root), &pos, der, 100, &len), HAL_EOVERFLOW);
    assert_int_equal(ocpp_cert_hash_data(der, 50, nh, kh, sn), HAL_EINVAL);
}

static void test_install_list_delete(void **state)
{
    (void)state;
    expect_status("GetInstalledCertificateIds", "{\"certificateType\":\"CentralSystemRootCertificate\"}", "NotFound");
    install("CentralSystemRootCertificate", k_root, "Accepted");
    assert_int_equal(s_saves, 1);
    install("CentralSystemRootCertificate", k_root, "Accepted"); /* already there: no second copy */
    assert_int_equal(s_saves, 1);
    install("ManufacturerRootCertificate", k_root2, "Accepted");
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_CSMS_ROOT), 1);
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_MF_ROOT), 1);

    int p = call("GetInstalledCertificateIds", "{\"certificateType\":\"CentralSystemRootCertificate\"}", NULL);
    assert_true(p >= 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, p, "status"), "Accepted"));
    int arr = ocpp_json_get(&s_j, p, "certificateHashData");
    assert_int_equal(ocpp_json_size(&s_j, arr), 1);
    int h = ocpp_json_at(&s_j, arr, 0);
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, h, "hashAlgorithm"), "SHA256"));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, h, "issuerNameHash"), ROOT_NAME_HASH));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, h, "issuerKeyHash"), ROOT_KEY_HASH));
    assert_true(ocpp_json_streq(&s_j, ocpp_json_get(&s_j, h, "serialNumber"), ROOT_SERIAL));

    /* compared case-insensitively, leading zeros of the serial not significant */
    delete("8876fe8af9991dda86a219638750fd3e9e24227c93783cfc689c3a2febfea86e", ROOT_KEY_HASH, "00f1e2d3c4b5", "SHA256",
           "Accepted");
    assert_int_equal(s_removes, 1);
    expect_status("GetInstalledCertificateIds", "{\"certificateType\":\"CentralSystemRootCertificate\"}", "NotFound");
    delete(ROOT_NAME_HASH, ROOT_KEY_HASH, ROOT_SERIAL, "SHA256", "NotFound");
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA384", "NotFound"); /* we keep SHA256 only */
    delete(ROOT2_NAME_HASH, ROOT_KEY_HASH, "FFF", "SHA256", "NotFound");  /* one hash wrong */
    s_save_rc = HAL_EIO;
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Failed"); /* the board could not */
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_MF_ROOT), 1);
    s_save_rc = HAL_OK;
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Accepted");
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_MF_ROOT), 0);
}

static void test_install_refusals(void **state)
{
    (void)state;
    install("CentralSystemRootCertificate", k_notca, "Rejected");  /* a leaf */
    install("CentralSystemRootCertificate", k_sub, "Rejected");    /* a CA, but not a root */
    install("CentralSystemRootCertificate", "hello", "Rejected");
    char two[4096];
    snprintf(two, sizeof two, "%s%s", k_root, k_root2);
    install("CentralSystemRootCertificate", two, "Rejected");
    s_save_rc = HAL_EIO;
    install("CentralSystemRootCertificate", k_root, "Failed");
    s_save_rc = HAL_OK;
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_CSMS_ROOT), 0);
    /* the same certificate as the other type */
    install("CentralSystemRootCertificate", k_root, "Accepted");
    install("ManufacturerRootCertificate", k_root, "Rejected");
    /* the store's bound (CertificateStoreMaxLength 4) */
    install("CentralSystemRootCertificate", k_root2, "Accepted");
    install("ManufacturerRootCertificate", k_r3, "Accepted");
    install("ManufacturerRootCertificate", k_r4, "Accepted");
    install("ManufacturerRootCertificate", k_r5, "Rejected");
    /* expired: the roots run to 2126 */
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Accepted");
    ocpp_cp_set_clock(&s_cp, 5000000000LL, s_now);
    install("ManufacturerRootCertificate", k_r5, "Rejected");
    /* the schema */
    expect_error("InstallCertificate", "{\"certificateType\":\"CentralSystemRootCertificate\"}",
                 "OccurenceConstraintViolation");
    expect_error("InstallCertificate", "{\"certificateType\":\"V2GRootCertificate\",\"certificate\":\"x\"}",
                 "PropertyConstraintViolation");
    expect_error("InstallCertificate", "{\"certificateType\":\"CentralSystemRootCertificate\",\"certificate\":5}",
                 "TypeConstraintViolation");
    expect_error("InstallCertificate",
                 "{\"certificateType\":\"CentralSystemRootCertificate\",\"certificate\":\"x\",\"extra\":1}",
                 "PropertyConstraintViolation");
    char big[6000 + 80];
    int n = snprintf(big, sizeof big, "{\"certificateType\":\"CentralSystemRootCertificate\",\"certificate\":\"");
    memset(big + n, 'A', 5501);
    strcpy(big + n + 5501, "\"}");
    expect_error("InstallCertificate", big, "PropertyConstraintViolation"); /* maxLength 5500 */
    expect_error("DeleteCertificate", "{\"certificateHashData\":{\"hashAlgorithm\":\"MD5\",\"issuerNameHash\":\"a\","
                                      "\"issuerKeyHash\":\"b\",\"serialNumber\":\"1\"}}",
                 "PropertyConstraintViolation");
    expect_error("DeleteCertificate", "{\"certificateHashData\":{\"hashAlgorithm\":\"SHA256\"}}",
                 "OccurenceConstraintViolation");
    expect_error("DeleteCertificate", "{\"certificateHashData\":[]}", "TypeConstraintViolation");
    expect_error("GetInstalledCertificateIds", "{}", "OccurenceConstraintViolation");
}

static void test_last_root_in_tls_profile(void **state)
{
    (void)state;
    s_cp.cfg.security_profile = 2;
    install("CentralSystemRootCertificate", k_root, "Accepted");
    install("ManufacturerRootCertificate", k_root2, "Accepted");
    delete(ROOT_NAME_HASH, ROOT_KEY_HASH, ROOT_SERIAL, "SHA256", "Failed"); /* it validates the link */
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Accepted");   /* not a CSMS root */
    install("CentralSystemRootCertificate", k_root2, "Accepted");
    delete(ROOT_NAME_HASH, ROOT_KEY_HASH, ROOT_SERIAL, "SHA256", "Accepted"); /* another is left */
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Failed");
    /* the configured CA validates the link too: then the last installed one may go */
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, k_root, strlen(k_root)), HAL_OK);
    delete(ROOT2_NAME_HASH, ROOT2_KEY_HASH, "FFF", "SHA256", "Accepted");
}

/* Answer every CALL of ours with @p answer_payload (or status Accepted for boot) until the
 * one named @p action goes out; returns whether it did. */
static bool pump_until(const char *action, const char *answer)
{
    for (int i = 0; i < 20; i++) {
        if (!ocpp_cp_poll(&s_cp, s_now)) {
            return false;
        }
        size_t n;
        const char *t = ocpp_cp_take(&s_cp, &n);
        assert_int_equal(ocpp_json_parse(&s_j, t, n), HAL_OK);
        char id[40], act[40], reply[512];
        assert_true(ocpp_json_str(&s_j, ocpp_json_at(&s_j, 0, 1), id, sizeof id) > 0);
        assert_true(ocpp_json_str(&s_j, ocpp_json_at(&s_j, 0, 2), act, sizeof act) > 0);
        bool it = strcmp(act, action) == 0;
        if (it) {
            int p = ocpp_json_at(&s_j, 0, 3);
            char csr[256];
            assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, p, "csr"), csr, sizeof csr) > 0);
            assert_non_null(strstr(csr, "BEGIN CERTIFICATE REQUEST"));
        }
        ocpp_cp_sent(&s_cp, s_now);
        if (strcmp(act, "BootNotification") == 0) {
            snprintf(reply, sizeof reply,
                     "[3,\"%s\",{\"status\":\"Accepted\",\"currentTime\":\"2027-01-05T21:00:00Z\",\"interval\":300}]", id);
        } else {
            snprintf(reply, sizeof reply, "[3,\"%s\",%s]", id, it ? answer : "{}");
        }
        ocpp_cp_rx(&s_cp, reply, strlen(reply), s_now);
        if (it) {
            return true;
        }
    }
    return false;
}

static void online(void)
{
    ocpp_cp_connected(&s_cp, s_now);
    assert_false(pump_until("none", "{}")); /* boot, statuses, events: all answered */
}

static void test_sign_flow(void **state)
{
    (void)state;
    online();
    expect_status("ChangeConfiguration", "{\"key\":\"CpoName\",\"value\":\"Test CPO\"}", "Accepted");
    install("CentralSystemRootCertificate", k_root, "Accepted");
    /* a CertificateSigned without a CSR of ours */
    chain(k_cpleaf, NULL, "Rejected");
    assert_int_equal(events_of(OCPP_SEC_INVALID_CP_CERT), 1);
    assert_false(pump_until("none", "{}"));

    expect_status("ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Accepted");
    assert_true(pump_until("SignCertificate", "{\"status\":\"Accepted\"}"));
    assert_string_equal(s_cn, "CP1");
    assert_string_equal(s_org, "Test CPO");
    assert_int_equal(s_ce.sign, OCPP_SIGN_WAIT);

    chain(k_foreign, NULL, "Rejected"); /* another key than our CSR's */
    chain(k_cpleaf2, NULL, "Rejected"); /* under a root not installed */
    s_verify_rc = HAL_EPROTO;
    chain(k_cpleaf, NULL, "Rejected"); /* the signature does not verify */
    s_verify_rc = HAL_OK;
    s_install_rc = HAL_EIO;
    chain(k_cpleaf, NULL, "Rejected"); /* the board could not keep it */
    s_install_rc = HAL_OK;
    assert_int_equal(s_installs, 0);
    assert_int_equal(events_of(OCPP_SEC_INVALID_CP_CERT), 4); /* the first one was sent */

    s_verifies = 0;
    chain(k_cpleaf, k_root, "Accepted"); /* with the root itself at the end */
    assert_int_equal(s_installs, 1);
    assert_int_equal(s_verifies, 1);
    assert_memory_equal(s_last_pub, k_root_pub, sizeof k_root_pub); /* checked with the root's key */
    assert_non_null(strstr(s_installed, "BEGIN CERTIFICATE"));
    assert_int_equal(s_ce.sign, OCPP_SIGN_IDLE);
    chain(k_cpleaf, NULL, "Rejected"); /* once: the CSR's key is used up */
}

static void test_sign_chains(void **state)
{
    (void)state;
    online();
    install("CentralSystemRootCertificate", k_root, "Accepted");
    expect_status("ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Accepted");
    assert_true(pump_until("SignCertificate", "{\"status\":\"Accepted\"}"));
    chain(k_cpleaf_sub, NULL, "Rejected");     /* its Sub-CA missing */
    chain(k_sub, k_cpleaf_sub, "Rejected");    /* in the wrong order */
    ocpp_cp_set_clock(&s_cp, 5000000000LL, s_now);
    chain(k_cpleaf_sub, k_sub, "Rejected");    /* expired by then */
    ocpp_cp_set_clock(&s_cp, CPLEAF_NOT_BEFORE - 3600, s_now);
    chain(k_cpleaf_sub, k_sub, "Rejected");    /* not yet valid: an hour before it */
    /* a clock a little behind the CSMS's (ours: its currentTime in whole seconds): a
     * certificate it made this second is valid (was "not yet valid" in the certs test) */
    ocpp_cp_set_clock(&s_cp, CPLEAF_NOT_BEFORE - 2, s_now);
    s_verifies = 0;
    chain(k_cpleaf_sub, k_sub, "Accepted");    /* leaf, Sub-CA, installed root */
    assert_int_equal(s_verifies, 2);
    ocpp_cp_set_clock(&s_cp, T0, s_now);

    /* the board's configured CA counts as a trust anchor */
    expect_status("ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Accepted");
    assert_true(pump_until("SignCertificate", "{\"status\":\"Accepted\"}"));
    chain(k_cpleaf2, NULL, "Rejected");
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, k_root2, strlen(k_root2)), HAL_OK);
    chain(k_cpleaf2, NULL, "Accepted");

    /* the CSMS refuses our CSR: nothing is waited for */
    expect_status("ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Accepted");
    assert_true(pump_until("SignCertificate", "{\"status\":\"Rejected\"}"));
    assert_int_equal(s_ce.sign, OCPP_SIGN_IDLE);
    chain(k_cpleaf, NULL, "Rejected");
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, "nope", 4), HAL_EINVAL);
}

static void test_extended_trigger(void **state)
{
    (void)state;
    online();
    const char *t = "ExtendedTriggerMessage";
    expect_status(t, "{\"requestedMessage\":\"BootNotification\"}", "Rejected"); /* registered already */
    expect_status(t, "{\"requestedMessage\":\"Heartbeat\"}", "Accepted");
    assert_true(s_cp.heartbeat_due);
    expect_status(t, "{\"requestedMessage\":\"StatusNotification\",\"connectorId\":2}", "Accepted");
    assert_int_equal(s_cp.status_dirty, 1u << 2);
    expect_status(t, "{\"requestedMessage\":\"LogStatusNotification\"}", "NotImplemented");
    expect_status(t, "{\"requestedMessage\":\"FirmwareStatusNotification\"}", "NotImplemented");
    expect_error(t, "{\"requestedMessage\":\"StatusNotification\",\"connectorId\":0}", "PropertyConstraintViolation");
    expect_error(t, "{\"requestedMessage\":\"StatusNotification\",\"connectorId\":3}", "PropertyConstraintViolation");
    expect_error(t, "{\"requestedMessage\":\"DiagnosticsStatusNotification\"}", "PropertyConstraintViolation");
    expect_error(t, "{\"requestedMessage\":\"Heartbeat\",\"connectorId\":\"1\"}", "TypeConstraintViolation");
    expect_error(t, "{}", "OccurenceConstraintViolation");
    /* no key generation on the board, or outside the whitepaper's profiles */
    static const struct ocpp_cert_ops no_csr = {b_save, NULL, b_install, b_has_client, b_switch};
    s_ce.ops = &no_csr;
    expect_status(t, "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Rejected");
    s_ce.ops = &k_cops;
    s_cp.cfg.security_profile = 0;
    expect_status(t, "{\"requestedMessage\":\"SignChargePointCertificate\"}", "Rejected");
    /* without certificate management attached: NotSupported, as before */
    s_cp.cert = NULL;
    expect_error(t, "{\"requestedMessage\":\"Heartbeat\"}", "NotSupported");
    expect_error("InstallCertificate", "{\"certificateType\":\"CentralSystemRootCertificate\",\"certificate\":\"x\"}",
                 "NotSupported");
}

/* the last security event's techInfo */
static const char *last_info(void)
{
    assert_true(s_cp.sec.count > 0);
    return s_cp.sec.ev[(s_cp.sec.head + s_cp.sec.count - 1u) % CFG_OCPP_SEC_EVENTS].info;
}

static void test_profile_upgrade(void **state)
{
    (void)state;
    const char *cc = "ChangeConfiguration";
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"1\"}", "Rejected"); /* not above */
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected"); /* no CSMS root */
    install("ManufacturerRootCertificate", k_root2, "Accepted");
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected"); /* the wrong type */
    install("CentralSystemRootCertificate", k_root, "Accepted");
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"3\"}", "Rejected"); /* no client certificate */
    s_switch_rc = HAL_ENOTSUP;
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected"); /* the board cannot */
    s_switch_rc = HAL_OK;
    assert_int_equal(s_switched, 0);
    assert_false(ocpp_sec_link_relink(&s_cp));
    unsigned gen = s_cp.store_gen;
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Accepted");
    assert_int_equal(s_switched, 2);
    /* accepted: the link reconnects with 2, but 1 stays the profile until that connects */
    assert_int_equal(s_cp.cfg.security_profile, 1);
    assert_int_equal(ocpp_sec_link_profile(&s_cp), 2);
    assert_true(ocpp_sec_link_relink(&s_cp));
    assert_false(ocpp_sec_link_relink(&s_cp)); /* once */
    s_has_client = true;
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"3\"}", "Rejected"); /* one switch at a time */
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 0);
    ocpp_sec_link_failed(&s_cp, "TCP connect failed at once", s_now);
    ocpp_sec_link_opened(&s_cp, s_now); /* the second attempt opens: 2 is kept and stored */
    assert_int_equal(s_cp.cfg.security_profile, 2);
    assert_int_equal(ocpp_sec_link_profile(&s_cp), 2);
    assert_false(ocpp_sec_link_relink(&s_cp));
    assert_true(s_cp.store_gen != gen);
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 1);
    assert_string_equal(last_info(), "SecurityProfile raised from 1 to 2");
    ocpp_sec_link_opened(&s_cp, s_now); /* a later reconnect: nothing more */
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 1);
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"1\"}", "Rejected"); /* never lowered */
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected");
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"3\"}", "Accepted");
    assert_int_equal(s_switched, 3);
    ocpp_sec_link_opened(&s_cp, s_now);
    assert_int_equal(s_cp.cfg.security_profile, 3);
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected"); /* never lowered */
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 2);
    /* profile 2 needs the AuthorizationKey too; the configured CA counts as a CSMS root */
    setup(NULL);
    s_cp.cfg.authorization_key[0] = '\0';
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, k_root, strlen(k_root)), HAL_OK);
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Rejected");
    strcpy(s_cp.cfg.authorization_key, "0123456789abcdef0123");
    expect_status(cc, "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Accepted");
}

static void test_profile_fallback(void **state)
{
    (void)state;
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, k_root, strlen(k_root)), HAL_OK);
    expect_status("ChangeConfiguration", "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Accepted");
    assert_true(ocpp_sec_link_relink(&s_cp));
    for (unsigned i = 1; i < CFG_OCPP_SEC_SWITCH_ATTEMPTS; i++) {
        ocpp_sec_link_failed(&s_cp, "TLS handshake failed: IP address mismatch", s_now);
        assert_int_equal(ocpp_sec_link_profile(&s_cp), 2); /* still trying */
        assert_false(ocpp_sec_link_relink(&s_cp));
    }
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 0);
    unsigned gen = s_cp.store_gen;
    ocpp_sec_link_failed(&s_cp, "TLS handshake failed: IP address mismatch", s_now);
    /* the last attempt failed: back to 1, a reconnect with it, the CSMS told why */
    assert_int_equal(ocpp_sec_link_profile(&s_cp), 1);
    assert_int_equal(s_cp.cfg.security_profile, 1);
    assert_true(ocpp_sec_link_relink(&s_cp));
    assert_int_equal(s_cp.store_gen, gen); /* nothing to store */
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 1);
    assert_string_equal(last_info(), "SecurityProfile 2 failed (TLS handshake failed): back to 1");
    ocpp_sec_link_opened(&s_cp, s_now); /* profile 1 connects again: no change */
    ocpp_sec_link_failed(&s_cp, "x", s_now);
    assert_int_equal(s_cp.cfg.security_profile, 1);
    assert_int_equal(events_of(OCPP_SEC_RECONFIGURATION), 1);
    /* a later upgrade may try again */
    expect_status("ChangeConfiguration", "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Accepted");
}

static void put_line(void *ctx, const char *text, size_t len)
{
    size_t have = strlen((char *)ctx);
    snprintf((char *)ctx + have, 4096 - have, "%.*s", (int)len, text);
}

static void test_profile_and_key_stored(void **state)
{
    (void)state;
    static char out[4096];
    const char *why = NULL;
    assert_int_equal(ocpp_cert_set_anchor(&s_ce, k_root, strlen(k_root)), HAL_OK);
    expect_status("ChangeConfiguration", "{\"key\":\"SecurityProfile\",\"value\":\"2\"}", "Accepted");
    out[0] = '\0';
    ocpp_cp_store_export(&s_cp, put_line, out);
    assert_null(strstr(out, "sec SecurityProfile")); /* configured only, and not before it connected */
    assert_null(strstr(out, "AuthorizationKey")); /* the configured key stays the board's */
    ocpp_sec_link_opened(&s_cp, s_now);
    out[0] = '\0';
    ocpp_cp_store_export(&s_cp, put_line, out);
    assert_non_null(strstr(out, "sec SecurityProfile 2\n"));
    /* a restart: configured 1, the store says 2: 2 (and 1 is refused over OCPP) */
    setup(NULL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec SecurityProfile 2", &why), HAL_OK);
    assert_int_equal(s_cp.cfg.security_profile, 2);
    assert_int_equal(ocpp_sec_link_profile(&s_cp), 2);
    expect_status("ChangeConfiguration", "{\"key\":\"SecurityProfile\",\"value\":\"1\"}", "Rejected");
    /* a stored profile never lowers a configured one */
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec SecurityProfile 1", &why), HAL_OK);
    assert_int_equal(s_cp.cfg.security_profile, 2);
    out[0] = '\0';
    ocpp_cp_store_export(&s_cp, put_line, out); /* kept at the next save */
    assert_non_null(strstr(out, "sec SecurityProfile 2\n"));
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec SecurityProfile 4", &why), HAL_EINVAL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec SecurityProfile 22", &why), HAL_EINVAL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec SecurityProfile ", &why), HAL_EINVAL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec AuthorizationKey short", &why), HAL_EINVAL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec AuthorizationKey 0123456789\tabcdef", &why), HAL_EINVAL);
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec Other 1", &why), HAL_EINVAL);
    assert_non_null(why);
    assert_int_equal(s_cp.cfg.security_profile, 2);
    assert_string_equal(s_cp.cfg.authorization_key, "0123456789abcdef0123");
    assert_int_equal(ocpp_cp_store_line(&s_cp, "sec AuthorizationKey stored-key-0123456789", &why), HAL_OK);
    assert_string_equal(s_cp.cfg.authorization_key, "stored-key-0123456789");
}

static void test_authorization_key_change(void **state)
{
    (void)state;
    static char out[4096];
    const char *cc = "ChangeConfiguration";
    expect_status(cc, "{\"key\":\"AuthorizationKey\",\"value\":\"0123456789abcde\"}", "Rejected"); /* 15 */
    expect_status(cc, "{\"key\":\"AuthorizationKey\",\"value\":\"0123456789abcdef\\n0123\"}", "Rejected");
    expect_status(cc, "{\"key\":\"AuthorizationKey\",\"value\":\"0123456789abcdef0123456789abcdef0123456789\"}",
                  "Rejected"); /* 42 */
    assert_false(ocpp_sec_link_relink(&s_cp));
    assert_string_equal(s_cp.cfg.authorization_key, "0123456789abcdef0123");
    expect_status(cc, "{\"key\":\"AuthorizationKey\",\"value\":\"new-key-0123456789\"}", "Accepted");
    assert_string_equal(s_cp.cfg.authorization_key, "new-key-0123456789");
    assert_true(ocpp_sec_link_relink(&s_cp)); /* profile 1: reconnect with it */
    assert_int_equal(ocpp_sec_link_profile(&s_cp), 1);
    out[0] = '\0';
    ocpp_cp_store_export(&s_cp, put_line, out);
    assert_non_null(strstr(out, "sec AuthorizationKey new-key-0123456789\n"));
    /* never read back */
    int p = call("GetConfiguration", "{\"key\":[\"AuthorizationKey\"]}", NULL);
    assert_true(p >= 0);
    assert_null(strstr(s_j.text, "new-key"));
    /* profile 3 authenticates by certificate: stored, no reconnect */
    s_cp.cfg.security_profile = 3;
    expect_status(cc, "{\"key\":\"AuthorizationKey\",\"value\":\"newer-key-0123456789\"}", "Accepted");
    assert_false(ocpp_sec_link_relink(&s_cp));
    assert_true(s_cp.sec.key_stored);
}

static void put(void *ctx, const char *text, size_t len)
{
    size_t have = strlen((char *)ctx);
    snprintf((char *)ctx + have, 4096 - have, "%.*s", (int)len, text);
}

static void test_cpo_name_and_keys(void **state)
{
    (void)state;
    const char *cc = "ChangeConfiguration";
    expect_status(cc, "{\"key\":\"CpoName\",\"value\":\"Acme Charging\"}", "Accepted");
    expect_status(cc, "{\"key\":\"CpoName\",\"value\":\"two\\nlines\"}", "Rejected");
    expect_status(cc, "{\"key\":\"CpoName\",\"value\":\"123456789012345678901234567890123456789012345678901\"}",
                  "Rejected"); /* 51 */
    expect_status(cc, "{\"key\":\"CertificateStoreMaxLength\",\"value\":\"9\"}", "Rejected");
    int p = call("GetConfiguration",
                 "{\"key\":[\"CpoName\",\"CertificateStoreMaxLength\",\"CertificateSignedMaxChainSize\","
                 "\"AdditionalRootCertificateCheck\"]}",
                 NULL);
    int arr = ocpp_json_get(&s_j, p, "configurationKey");
    assert_int_equal(ocpp_json_size(&s_j, arr), 4);
    char v[64];
    for (int e = ocpp_json_at(&s_j, arr, 0); e >= 0; e = ocpp_json_next(&s_j, arr, e)) {
        assert_true(ocpp_json_str(&s_j, ocpp_json_get(&s_j, e, "value"), v, sizeof v) >= 0);
        if (ocpp_json_streq(&s_j, ocpp_json_get(&s_j, e, "key"), "CpoName")) {
            assert_string_equal(v, "Acme Charging");
        } else if (ocpp_json_streq(&s_j, ocpp_json_get(&s_j, e, "key"), "CertificateStoreMaxLength")) {
            assert_string_equal(v, "4");
        }
    }
    /* kept in the store and read back */
    static char out[4096];
    out[0] = '\0';
    ocpp_cp_store_export(&s_cp, put, out);
    assert_non_null(strstr(out, "cfg CpoName Acme Charging\n"));
    const char *why = NULL;
    s_cp.cfg.cpo_name[0] = '\0';
    assert_int_equal(ocpp_cp_store_line(&s_cp, "cfg CpoName Acme Charging", &why), HAL_OK);
    assert_string_equal(s_cp.cfg.cpo_name, "Acme Charging");
}

static void test_load(void **state)
{
    (void)state;
    uint8_t der[2048];
    size_t n = der_of(k_root, der, sizeof der);
    assert_int_equal(ocpp_cert_load(&s_ce, OCPP_CERT_CSMS_ROOT, der, n), HAL_OK);
    assert_int_equal(ocpp_cert_load(&s_ce, OCPP_CERT_CSMS_ROOT, der, n), HAL_OK); /* once */
    assert_int_equal(ocpp_cert_count(&s_ce, OCPP_CERT_CSMS_ROOT), 1);
    assert_int_equal(s_saves, 0); /* loading is not saving */
    n = der_of(k_notca, der, sizeof der);
    assert_int_equal(ocpp_cert_load(&s_ce, OCPP_CERT_CSMS_ROOT, der, n), HAL_EINVAL);
    assert_int_equal(ocpp_cert_load(&s_ce, OCPP_CERT_CSMS_ROOT, der, 10), HAL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hash_data, setup),
        cmocka_unit_test_setup(test_install_list_delete, setup),
        cmocka_unit_test_setup(test_install_refusals, setup),
        cmocka_unit_test_setup(test_last_root_in_tls_profile, setup),
        cmocka_unit_test_setup(test_sign_flow, setup),
        cmocka_unit_test_setup(test_sign_chains, setup),
        cmocka_unit_test_setup(test_extended_trigger, setup),
        cmocka_unit_test_setup(test_profile_upgrade, setup),
        cmocka_unit_test_setup(test_profile_fallback, setup),
        cmocka_unit_test_setup(test_profile_and_key_stored, setup),
        cmocka_unit_test_setup(test_authorization_key_change, setup),
        cmocka_unit_test_setup(test_cpo_name_and_keys, setup),
        cmocka_unit_test_setup(test_load, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
