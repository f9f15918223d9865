/* Unit tests of the SECC's CertificateInstallation / CertificateUpdate
 * (protocols/iso2/iso2_evse_cert.c) with real certificates and real ECDSA: an OEM
 * provisioning chain, a mobility-operator chain and a certificate provisioning (CPS) leaf
 * are made for the run with the OpenSSL API (nothing private is committed); the car's
 * requests and the test provider's answers are signed with iso2_sig_sign() through the Linux
 * crypto port. Covered: the Certificate service listed only with a provider (ServiceDetail's
 * two parameter sets), a good installation and update (the provider gets the car's key, the
 * answer encodes and decodes), and every refusal: bad OEM chain, expired OEM leaf, bad or
 * missing request signature, provider failure and "no certificate", a provider answer
 * signed with the wrong key, wrong eMAID or unknown root on update, out of sequence.
 * Then the local CA provider (boardlib/board_certprov.c) behind the same hook: its answer
 * verifies, the new chain validates, the car decrypts its key with the right key and not
 * with a wrong one; its configuration refusals. Last, the recorded CertificateInstallationRes
 * and CertificateUpdateRes of ../shared (read in place, $SHARED): re-encoded byte for byte,
 * and ours has their structure.
 * Host only (OpenSSL): tests/host/, built by protocols/iso2/iso2_cert.mk into `make unit`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "board_certprov.h"
#include "exi/exi_stream.h"
#include "iso2/iso2_ev.h"
#include "iso2/iso2_evse.h"
#include "iso2/iso2_sig.h"
#include "linux_crypto.h"
#include "tp_pki.h"

#define EMAID "DEPNC123456789X"

/* ------------------------------------------------------------------ the test PKI (tp_pki.c) */
static struct tp_cert s_mo_root, s_mo_sub, s_contract, s_other_emaid;
static struct tp_cert s_oem_root, s_oem_sub, s_oem_leaf, s_oem_expired, s_alien_root, s_alien_oem;
static struct tp_cert s_v2g_root, s_cps_leaf, s_new_contract;
static struct x509_cert s_mo_roots[1], s_oem_roots[1], s_oem_subs[1];

/* ------------------------------------------------------------------ the machine */
static struct linux_crypto s_crypto, s_crypto2; /* a port holds 4 keys: the CPS and the contract key in the second */
static uint32_t s_k_contract, s_k_oem, s_k_oem_expired, s_k_alien_oem, s_k_cps, s_k_other;

static int fake_fill(struct hal_rng *r, uint8_t *b, size_t n)
{
    (void)r;
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(i * 13u + 5u);
    }
    return HAL_OK;
}
static const struct hal_rng_ops s_rng_ops = {.fill = fake_fill};
static struct hal_rng s_rng = {.ops = &s_rng_ops};

static uint8_t s_scratch[4096];
static uint8_t s_prov_scratch[4096];
static struct iso2_evse_pnc s_pnc;
static struct iso2_evse s_m;
static struct exi_iso2_document s_q, s_r, s_back;
static struct iso2_evse_request s_out;
static struct iso2_evse_status s_st;
static const uint8_t s_id[4] = {1, 2, 3, 4};
static uint8_t s_wire[8192];

/* The test provider: what it answers and what it saw. */
enum prov_mode { PROV_OK, PROV_FAIL, PROV_NOENT, PROV_BAD_KEY };
static enum prov_mode s_mode;
static unsigned s_prov_calls;
static struct iso2_evse_cert_req s_seen;
static uint8_t s_seen_pub[65];

#define add_key(k, h) tp_add_key(&s_crypto, k, h)

static void put(uint16_t *len, uint8_t *dst, const struct tp_cert *c)
{
    memcpy(dst, c->der, c->len);
    *len = (uint16_t)c->len;
}

static void put_id(uint16_t *len, char *dst, const char *id)
{
    *len = (uint16_t)strlen(id);
    memcpy(dst, id, *len);
}

/* A provider's answer: the CPS leaf as SA provisioning chain, a new contract leaf, 48 bytes
 * of "encrypted key", a DH key, the eMAID; the four parts signed by @p key. */
static int test_provider(void *ctx, const struct iso2_evse_cert_req *q, struct exi_iso2_document *res, char *why,
                         size_t cap)
{
    (void)ctx;
    s_prov_calls++;
    s_seen = *q;
    memcpy(s_seen_pub, q->car_pub, 65);
    if (s_mode == PROV_FAIL) {
        (void)snprintf(why, cap, "backend unreachable");
        return HAL_EIO;
    }
    if (s_mode == PROV_NOENT) {
        (void)snprintf(why, cap, "no contract for this car");
        return HAL_ENOENT;
    }
    struct exi_iso2_BodyType *b = &res->V2G_Message.Body;
    struct exi_iso2_CertificateInstallationResType *r = &b->CertificateInstallationRes;
    struct exi_iso2_CertificateInstallationResType tmp;
    memset(&tmp, 0, sizeof tmp);
    put(&tmp.SAProvisioningCertificateChain.Certificate.bytesLen, tmp.SAProvisioningCertificateChain.Certificate.bytes,
        &s_cps_leaf);
    put_id(&tmp.ContractSignatureCertChain.Id.charactersLen, tmp.ContractSignatureCertChain.Id.characters, "id1");
    tmp.ContractSignatureCertChain.Id_isUsed = true;
    put(&tmp.ContractSignatureCertChain.Certificate.bytesLen, tmp.ContractSignatureCertChain.Certificate.bytes,
        &s_new_contract);
    tmp.ContractSignatureCertChain.SubCertificates_isUsed = true;
    put(&tmp.ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytesLen,
        tmp.ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytes, &s_mo_sub);
    tmp.ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = 1;
    put_id(&tmp.ContractSignatureEncryptedPrivateKey.Id.charactersLen,
           tmp.ContractSignatureEncryptedPrivateKey.Id.characters, "id2");
    tmp.ContractSignatureEncryptedPrivateKey.CONTENT.bytesLen = 48;
    memset(tmp.ContractSignatureEncryptedPrivateKey.CONTENT.bytes, 0xA5, 48);
    put_id(&tmp.DHpublickey.Id.charactersLen, tmp.DHpublickey.Id.characters, "id3");
    tmp.DHpublickey.CONTENT.bytesLen = 65;
    memcpy(tmp.DHpublickey.CONTENT.bytes, s_cps_leaf.pub, 65);
    put_id(&tmp.eMAID.Id.charactersLen, tmp.eMAID.Id.characters, "id4");
    put_id(&tmp.eMAID.CONTENT.charactersLen, tmp.eMAID.CONTENT.characters, EMAID);
    /* Both response types have the same first fields; an update adds RetryCounter. */
    if (q->update) {
        struct exi_iso2_CertificateUpdateResType *u = &b->CertificateUpdateRes;
        memset(u, 0, sizeof *u);
        u->SAProvisioningCertificateChain = tmp.SAProvisioningCertificateChain;
        u->ContractSignatureCertChain = tmp.ContractSignatureCertChain;
        u->ContractSignatureEncryptedPrivateKey = tmp.ContractSignatureEncryptedPrivateKey;
        u->DHpublickey = tmp.DHpublickey;
        u->eMAID = tmp.eMAID;
        b->CertificateUpdateRes_isUsed = true;
    } else {
        *r = tmp;
        b->CertificateInstallationRes_isUsed = true;
    }
    const char *ids[] = {"id1", "id2", "id3", "id4"};
    enum iso2_sig_error e = ISO2_SIG_OK;
    return iso2_sig_sign(s_mode == PROV_BAD_KEY ? &s_crypto.base : &s_crypto2.base,
                         s_mode == PROV_BAD_KEY ? s_k_other : s_k_cps, &res->V2G_Message.Header, b,
                         ids, 4, s_prov_scratch, sizeof s_prov_scratch, &e);
}

static int group_setup(void **state)
{
    (void)state;
    long y = 365L * 86400;
    tp_make(&s_mo_root, NULL, "Test MO Root", "V2G", true, -86400, 10 * y);
    tp_make(&s_mo_sub, &s_mo_root, "Test MO Sub-CA", "MO", true, -86400, 4 * y);
    tp_make(&s_contract, &s_mo_sub, EMAID, "MO", false, -86400, 2 * y);
    tp_make(&s_other_emaid, &s_mo_sub, "DEPNC987654321X", "MO", false, -86400, y);
    tp_make(&s_new_contract, &s_mo_sub, EMAID, "MO", false, -86400, 2 * y);
    tp_make(&s_oem_root, NULL, "Test OEM Root", "OEM", true, -86400, 10 * y);
    tp_make(&s_oem_sub, &s_oem_root, "Test OEM Sub-CA", "OEM", true, -86400, 4 * y);
    tp_make(&s_oem_leaf, &s_oem_sub, "WMIV1234567890ABCDEX", "OEM", false, -86400, 4 * y);
    tp_make(&s_oem_expired, &s_oem_sub, "WMIV1234567890ABCDEX", "OEM", false, -10 * 86400, -86400);
    tp_make(&s_alien_root, NULL, "Alien OEM Root", "OEM", true, -86400, 10 * y);
    tp_make(&s_alien_oem, &s_alien_root, "WMIV1234567890ABCDEX", "OEM", false, -86400, 4 * y);
    tp_make(&s_v2g_root, NULL, "Test V2G Root", "V2G", true, -86400, 10 * y);
    tp_make(&s_cps_leaf, &s_v2g_root, "Test CPS Leaf", "CPS", false, -86400, y);
    assert_int_equal(x509_parse(&s_mo_roots[0], s_mo_root.der, s_mo_root.len), X509_OK);
    assert_int_equal(x509_parse(&s_oem_roots[0], s_oem_root.der, s_oem_root.len), X509_OK);
    assert_int_equal(x509_parse(&s_oem_subs[0], s_oem_sub.der, s_oem_sub.len), X509_OK);
    linux_crypto_init(&s_crypto);
    linux_crypto_init(&s_crypto2);
    assert_int_equal(tp_add_key(&s_crypto2, s_contract.key, &s_k_contract), HAL_OK);
    assert_int_equal(add_key(s_oem_leaf.key, &s_k_oem), HAL_OK);
    assert_int_equal(add_key(s_oem_expired.key, &s_k_oem_expired), HAL_OK);
    assert_int_equal(add_key(s_alien_oem.key, &s_k_alien_oem), HAL_OK);
    assert_int_equal(tp_add_key(&s_crypto2, s_cps_leaf.key, &s_k_cps), HAL_OK);
    s_k_other = s_k_alien_oem;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    linux_crypto_close(&s_crypto);
    linux_crypto_close(&s_crypto2);
    struct tp_cert *all[] = {&s_mo_root, &s_mo_sub, &s_contract, &s_other_emaid, &s_new_contract,
                             &s_oem_root, &s_oem_sub, &s_oem_leaf, &s_oem_expired, &s_alien_root,
                             &s_alien_oem, &s_v2g_root, &s_cps_leaf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        tp_free(all[i]);
    }
    return 0;
}

/* A context with Contract ready; @p provider: the test provider lent and the hook filled. */
static void start(bool provider)
{
    memset(&s_pnc, 0, sizeof s_pnc);
    s_pnc.crypto = &s_crypto.base;
    s_pnc.rng = &s_rng;
    s_pnc.roots = s_mo_roots;
    s_pnc.nroots = 1;
    s_pnc.now_s = (int64_t)time(NULL);
    s_pnc.secure = true;
    s_pnc.buf = s_scratch;
    s_pnc.cap = sizeof s_scratch;
    s_pnc.oem_roots = s_oem_roots;
    s_pnc.n_oem_roots = 1;
    s_pnc.oem_subs = s_oem_subs;
    s_pnc.n_oem_subs = 1;
    if (provider) {
        s_pnc.cert_provider = test_provider;
    }
    struct iso2_evse_config c;
    iso2_evse_default_config(&c);
    c.offer_contract = true;
    assert_int_equal(iso2_evse_start(&s_m, &c, s_id, sizeof s_id, NULL, 0), HAL_OK);
    assert_int_equal(iso2_evse_set_pnc(&s_m, &s_pnc), HAL_OK);
    iso2_evse_cert_init(&s_pnc);
    memset(&s_st, 0, sizeof s_st);
    s_st.status_code = exi_iso2_DC_EVSEStatusCodeType_EVSE_Ready;
    s_st.dc.auth_done = true;
    s_mode = PROV_OK;
    s_prov_calls = 0;
}

static struct exi_iso2_BodyType *req(void)
{
    memset(&s_q, 0, sizeof s_q);
    s_q.V2G_Message_isUsed = true;
    memcpy(s_q.V2G_Message.Header.SessionID.bytes, s_id, sizeof s_id);
    s_q.V2G_Message.Header.SessionID.bytesLen = sizeof s_id;
    return &s_q.V2G_Message.Body;
}

static uint8_t send(void)
{
    assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 10), HAL_OK);
    return s_out.response_code;
}

/* SessionSetup, ServiceDiscovery; returns the number of services listed. */
static unsigned to_discovery(void)
{
    struct exi_iso2_BodyType *b = req();
    s_q.V2G_Message.Header.SessionID.bytesLen = 1;
    s_q.V2G_Message.Header.SessionID.bytes[0] = 0;
    b->SessionSetupReq_isUsed = true;
    b->SessionSetupReq.EVCCID.bytesLen = 6;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK_NewSessionEstablished);
    b = req();
    b->ServiceDiscoveryReq_isUsed = true;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    const struct exi_iso2_ServiceDiscoveryResType *r = &s_r.V2G_Message.Body.ServiceDiscoveryRes;
    return r->ServiceList_isUsed ? r->ServiceList.Service.arrayLen : 0u;
}

static uint8_t select_payment(uint8_t option, bool cert_service)
{
    struct exi_iso2_BodyType *b = req();
    b->PaymentServiceSelectionReq_isUsed = true;
    struct exi_iso2_PaymentServiceSelectionReqType *q = &b->PaymentServiceSelectionReq;
    q->SelectedPaymentOption = option;
    q->SelectedServiceList.SelectedService.array[0].ServiceID = 1;
    q->SelectedServiceList.SelectedService.arrayLen = 1;
    if (cert_service) {
        q->SelectedServiceList.SelectedService.array[1].ServiceID = 2;
        q->SelectedServiceList.SelectedService.array[1].ParameterSetID = 1;
        q->SelectedServiceList.SelectedService.array[1].ParameterSetID_isUsed = true;
        q->SelectedServiceList.SelectedService.arrayLen = 2;
    }
    return send();
}

static void to_selection(void)
{
    start(true);
    assert_int_equal(to_discovery(), 1);
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract, true), exi_iso2_responseCodeType_OK);
}

static void root_id(struct exi_iso2_ListOfRootCertificateIDsType *l)
{
    put_id(&l->RootCertificateID.array[0].X509IssuerName.charactersLen, l->RootCertificateID.array[0].X509IssuerName.characters,
           "CN=Test V2G Root,DC=V2G");
    l->RootCertificateID.array[0].X509SerialNumber = 1;
    l->RootCertificateID.arrayLen = 1;
}

/* CertificateInstallationReq carrying @p oem, signed with @p key (0: unsigned). */
static uint8_t install(const struct tp_cert *oem, uint32_t key, bool sign)
{
    struct exi_iso2_BodyType *b = req();
    b->CertificateInstallationReq_isUsed = true;
    struct exi_iso2_CertificateInstallationReqType *q = &b->CertificateInstallationReq;
    put_id(&q->Id.charactersLen, q->Id.characters, "ID1");
    put(&q->OEMProvisioningCert.bytesLen, q->OEMProvisioningCert.bytes, oem);
    root_id(&q->ListOfRootCertificateIDs);
    if (sign) {
        const char *ids[] = {"ID1"};
        enum iso2_sig_error e = ISO2_SIG_OK;
        assert_int_equal(iso2_sig_sign(&s_crypto.base, key, &s_q.V2G_Message.Header, b, ids, 1, s_prov_scratch,
                                       sizeof s_prov_scratch, &e),
                         HAL_OK);
    }
    return send();
}

/* CertificateUpdateReq with @p leaf + the MO Sub-CA and @p emaid, signed with @p key. */
static uint8_t update(const struct tp_cert *leaf, const char *emaid, struct linux_crypto *port, uint32_t key)
{
    struct exi_iso2_BodyType *b = req();
    b->CertificateUpdateReq_isUsed = true;
    struct exi_iso2_CertificateUpdateReqType *q = &b->CertificateUpdateReq;
    put_id(&q->Id.charactersLen, q->Id.characters, "ID1");
    put(&q->ContractSignatureCertChain.Certificate.bytesLen, q->ContractSignatureCertChain.Certificate.bytes, leaf);
    q->ContractSignatureCertChain.SubCertificates_isUsed = true;
    put(&q->ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytesLen,
        q->ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytes, &s_mo_sub);
    q->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = 1;
    put_id(&q->eMAID.charactersLen, q->eMAID.characters, emaid);
    root_id(&q->ListOfRootCertificateIDs);
    const char *ids[] = {"ID1"};
    enum iso2_sig_error e = ISO2_SIG_OK;
    assert_int_equal(iso2_sig_sign(&port->base, key, &s_q.V2G_Message.Header, b, ids, 1, s_prov_scratch,
                                   sizeof s_prov_scratch, &e),
                     HAL_OK);
    return send();
}

static void assert_refused(uint8_t code, uint8_t want, const char *note_part)
{
    assert_int_equal(code, want);
    assert_int_equal(iso2_evse_phase(&s_m), ISO2_EVSE_FAILED);
    assert_true((s_out.events & ISO2_EVSE_EV_CLOSE) != 0u);
    assert_false(s_r.V2G_Message.Header.Signature_isUsed);
    if (note_part != NULL) {
        assert_non_null(strstr(s_out.note, note_part));
        /* the session's reason is the refusal of the note, still readable after the call */
        assert_true(iso2_evse_reason(&s_m)[0] != '\0');
        assert_non_null(strstr(s_out.note, iso2_evse_reason(&s_m)));
    }
    /* nothing of a half-made answer goes out */
    const struct exi_iso2_BodyType *b = &s_r.V2G_Message.Body;
    uint16_t leaf = b->CertificateInstallationRes_isUsed ? b->CertificateInstallationRes.SAProvisioningCertificateChain.Certificate.bytesLen
                                                          : b->CertificateUpdateRes.SAProvisioningCertificateChain.Certificate.bytesLen;
    assert_int_equal(leaf, 0);
    /* the refusal still encodes (the car reads its code), and the session is over */
    struct exi_writer w;
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);
    req()->SessionStopReq_isUsed = true;
    assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, 20), HAL_ESTATE);
}

/* ------------------------------------------------------------------ tests */
static void test_service_offered_only_with_provider(void **state)
{
    (void)state;
    start(false);
    assert_int_equal(to_discovery(), 0);
    assert_false(iso2_evse_cert_offered(&s_m));
    struct exi_iso2_BodyType *b = req();
    b->ServiceDetailReq_isUsed = true;
    b->ServiceDetailReq.ServiceID = 2;
    assert_int_equal(send(), exi_iso2_responseCodeType_FAILED_ServiceIDInvalid);

    /* without the service, a CertificateInstallationReq is refused before any check */
    start(false);
    (void)to_discovery();
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract, false), exi_iso2_responseCodeType_OK);
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED, NULL);

    start(true);
    assert_int_equal(to_discovery(), 1);
    const struct exi_iso2_ServiceType *s = &s_r.V2G_Message.Body.ServiceDiscoveryRes.ServiceList.Service.array[0];
    assert_int_equal(s->ServiceID, 2);
    assert_int_equal(s->ServiceCategory, exi_iso2_serviceCategoryType_ContractCertificate);
    assert_true(s->FreeService);
    assert_memory_equal(s->ServiceName.characters, "Certificate", 11);
    b = req();
    b->ServiceDetailReq_isUsed = true;
    b->ServiceDetailReq.ServiceID = 2;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    const struct exi_iso2_ServiceDetailResType *d = &s_r.V2G_Message.Body.ServiceDetailRes;
    assert_true(d->ServiceParameterList_isUsed);
    assert_int_equal(d->ServiceParameterList.ParameterSet.arrayLen, 2);
    assert_int_equal(d->ServiceParameterList.ParameterSet.array[1].ParameterSetID, 2);
    assert_memory_equal(d->ServiceParameterList.ParameterSet.array[1].Parameter.array[0].stringValue.characters,
                        "Update", 6);
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_Contract, true), exi_iso2_responseCodeType_OK);
}

static void test_good_installation(void **state)
{
    (void)state;
    to_selection();
    assert_int_equal(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_OK);
    assert_int_equal(s_prov_calls, 1);
    assert_false(s_seen.update);
    assert_memory_equal(s_seen_pub, s_oem_leaf.pub, 65);
    assert_non_null(strstr(s_out.note, "OEM provisioning chain valid"));
    assert_non_null(strstr(s_out.note, "provider answered, signature valid"));
    assert_true(s_r.V2G_Message.Body.CertificateInstallationRes_isUsed);
    assert_true(s_r.V2G_Message.Header.Signature_isUsed);
    /* it goes out as it is: encodes, decodes, and its signature verifies with the CPS key */
    struct exi_writer w;
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);
    struct exi_reader rd;
    exi_reader_init(&rd, s_wire, exi_writer_len(&w));
    assert_int_equal(exi_iso2_decode(&rd, &s_back), HAL_OK);
    struct iso2_sig_check c = {.crypto = &s_crypto.base, .pub = s_cps_leaf.pub, .pub_len = 65,
                               .buf = s_prov_scratch, .cap = sizeof s_prov_scratch};
    assert_int_equal(iso2_sig_verify(&c, &s_back.V2G_Message.Header, &s_back.V2G_Message.Body), HAL_OK);
    assert_int_equal(s_back.V2G_Message.Body.CertificateInstallationRes.ContractSignatureEncryptedPrivateKey.CONTENT.bytesLen,
                     48);
    /* the car then pays with its new contract */
    struct exi_iso2_BodyType *b = req();
    b->PaymentDetailsReq_isUsed = true;
    put_id(&b->PaymentDetailsReq.eMAID.charactersLen, b->PaymentDetailsReq.eMAID.characters, EMAID);
    put(&b->PaymentDetailsReq.ContractSignatureCertChain.Certificate.bytesLen,
        b->PaymentDetailsReq.ContractSignatureCertChain.Certificate.bytes, &s_new_contract);
    b->PaymentDetailsReq.ContractSignatureCertChain.SubCertificates_isUsed = true;
    put(&b->PaymentDetailsReq.ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytesLen,
        b->PaymentDetailsReq.ContractSignatureCertChain.SubCertificates.Certificate.array[0].bytes, &s_mo_sub);
    b->PaymentDetailsReq.ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = 1;
    assert_int_equal(send(), exi_iso2_responseCodeType_OK);
    /* once per session */
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED_SequenceError, NULL);
}

static void test_installation_without_oem_roots(void **state)
{
    (void)state;
    to_selection();
    s_pnc.n_oem_roots = 0;
    assert_int_equal(install(&s_alien_oem, s_k_alien_oem, true), exi_iso2_responseCodeType_OK);
    assert_non_null(strstr(s_out.note, "OEM chain not checked"));
}

static void test_installation_refusals(void **state)
{
    (void)state;
    to_selection(); /* OEM leaf of another root */
    assert_refused(install(&s_alien_oem, s_k_alien_oem, true), exi_iso2_responseCodeType_FAILED_CertChainError,
                   "OEM provisioning chain");
    assert_int_equal(s_prov_calls, 0);
    to_selection();
    assert_refused(install(&s_oem_expired, s_k_oem_expired, true), exi_iso2_responseCodeType_FAILED_CertificateExpired,
                   "expired");
    to_selection(); /* signed with another key */
    assert_refused(install(&s_oem_leaf, s_k_alien_oem, true), exi_iso2_responseCodeType_FAILED_SignatureError,
                   "CertificateInstallationReq refused");
    to_selection(); /* not signed */
    assert_refused(install(&s_oem_leaf, 0, false), exi_iso2_responseCodeType_FAILED_SignatureError, NULL);
    to_selection(); /* not a certificate */
    struct tp_cert junk = s_oem_leaf;
    junk.len = 40;
    assert_refused(install(&junk, s_k_oem, true), exi_iso2_responseCodeType_FAILED_CertChainError, NULL);
    assert_int_equal(s_prov_calls, 0);
    /* the provider fails, has nothing, or signs with the wrong key */
    to_selection();
    s_mode = PROV_FAIL;
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED, "backend unreachable");
    to_selection();
    s_mode = PROV_NOENT;
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED_NoCertificateAvailable,
                   "no contract for this car");
    to_selection();
    s_mode = PROV_BAD_KEY;
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED,
                   "certificate provider's answer");
    assert_int_equal(s_prov_calls, 1);
    /* ExternalPayment selected: out of sequence */
    start(true);
    (void)to_discovery();
    assert_int_equal(select_payment(exi_iso2_paymentOptionType_ExternalPayment, false), exi_iso2_responseCodeType_OK);
    assert_refused(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_FAILED_SequenceError, NULL);
}

static void test_update(void **state)
{
    (void)state;
    to_selection();
    assert_int_equal(update(&s_contract, EMAID, &s_crypto2, s_k_contract), exi_iso2_responseCodeType_OK);
    assert_true(s_seen.update);
    assert_string_equal(s_seen.emaid, EMAID);
    assert_memory_equal(s_seen_pub, s_contract.pub, 65);
    assert_true(s_r.V2G_Message.Body.CertificateUpdateRes_isUsed);
    assert_false(s_r.V2G_Message.Body.CertificateUpdateRes.RetryCounter_isUsed);
    assert_non_null(strstr(s_out.note, "contract chain valid"));
    struct exi_writer w;
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);

    to_selection(); /* the eMAID of the request is not the leaf's */
    assert_refused(update(&s_contract, "DEPNC987654321X", &s_crypto2, s_k_contract),
                   exi_iso2_responseCodeType_FAILED_CertChainError, "eMAID");
    assert_true(s_r.V2G_Message.Body.CertificateUpdateRes.RetryCounter_isUsed);
    to_selection(); /* signed by another key than the leaf's */
    assert_refused(update(&s_contract, EMAID, &s_crypto, s_k_oem), exi_iso2_responseCodeType_FAILED_SignatureError, NULL);
    to_selection(); /* unknown MO root */
    s_pnc.roots = s_oem_roots;
    assert_refused(update(&s_contract, EMAID, &s_crypto2, s_k_contract), exi_iso2_responseCodeType_FAILED_NoCertificateAvailable,
                   NULL);
    assert_int_equal(s_prov_calls, 0);
    to_selection();
    s_mode = PROV_BAD_KEY;
    assert_refused(update(&s_contract, EMAID, &s_crypto2, s_k_contract), exi_iso2_responseCodeType_FAILED,
                   "certificate provider's answer");
}

/* ------------------------------------------------------------------ the local CA provider */
static char s_dir[64];

static void write_pem(const char *name, const struct tp_cert *const *certs, size_t n, EVP_PKEY *key)
{
    char path[128];
    (void)snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(PEM_write_X509(f, certs[i]->x), 1);
    }
    if (key != NULL) {
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    }
    assert_int_equal(fclose(f), 0);
}

static struct board_certprov s_prov;

static void open_provider(const char *cps_key, const char *emaid, int want)
{
    char a[128], b2[128], c[128], d[128], why[256] = "";
    (void)snprintf(a, sizeof a, "%s/cps.pem", s_dir);
    (void)snprintf(b2, sizeof b2, "%s/%s", s_dir, cps_key);
    (void)snprintf(c, sizeof c, "%s/ca.pem", s_dir);
    (void)snprintf(d, sizeof d, "%s/ca.key", s_dir);
    struct board_certprov_config cfg = {.cps_chain = a, .cps_key = b2, .contract_ca_chain = c,
                                        .contract_ca_key = d, .emaid = emaid};
    int rc = board_certprov_open(&s_prov, &cfg, why, sizeof why);
    if (rc != want) {
        print_error("board_certprov_open: %d (%s)\n", rc, why);
    }
    assert_int_equal(rc, want);
    if (want != HAL_OK) {
        assert_non_null(strstr(why, "pnc."));
        board_certprov_close(&s_prov);
    }
}

static int prov_setup(void)
{
    (void)snprintf(s_dir, sizeof s_dir, "/tmp/test_iso2_cert.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    const struct tp_cert *cps[] = {&s_cps_leaf, &s_v2g_root};
    write_pem("cps.pem", cps, 2, NULL);
    write_pem("cps.key", NULL, 0, s_cps_leaf.key);
    write_pem("wrong.key", NULL, 0, s_oem_leaf.key);
    const struct tp_cert *ca[] = {&s_mo_sub};
    write_pem("ca.pem", ca, 1, NULL);
    write_pem("ca.key", NULL, 0, s_mo_sub.key);
    return 0;
}

static void prov_teardown(void)
{
    const char *names[] = {"cps.pem", "cps.key", "wrong.key", "ca.pem", "ca.key"};
    for (size_t i = 0; i < 5; i++) {
        char path[128];
        (void)snprintf(path, sizeof path, "%s/%s", s_dir, names[i]);
        (void)unlink(path);
    }
    (void)rmdir(s_dir);
}

/* The answer as the car checks it: the CPS signature over the four parts, the new contract
 * chain to the MO root, then the key decrypted with @p car_key (HAL_OK) or refused. */
static int car_takes(const struct exi_iso2_CertificateChainType *cc,
                     const struct exi_iso2_ContractSignatureEncryptedPrivateKeyType *ek,
                     const struct exi_iso2_DiffieHellmanPublickeyType *dh, EVP_PKEY *car_key)
{
    struct iso2_sig_check c = {.crypto = &s_crypto.base, .pub = s_cps_leaf.pub, .pub_len = 65,
                               .buf = s_prov_scratch, .cap = sizeof s_prov_scratch};
    s_back = s_r;
    assert_int_equal(iso2_sig_verify(&c, &s_back.V2G_Message.Header, &s_back.V2G_Message.Body), HAL_OK);
    struct x509_cert chain[2];
    assert_int_equal(x509_parse(&chain[0], cc->Certificate.bytes, cc->Certificate.bytesLen), X509_OK);
    assert_int_equal(cc->SubCertificates.Certificate.arrayLen, 1);
    assert_int_equal(x509_parse(&chain[1], cc->SubCertificates.Certificate.array[0].bytes,
                                cc->SubCertificates.Certificate.array[0].bytesLen),
                     X509_OK);
    struct x509_verdict v;
    assert_int_equal(x509_chain_validate(&s_crypto.base, X509_ROLE_CONTRACT, chain, 2, s_mo_roots, 1,
                                         (int64_t)time(NULL), EMAID, &v),
                     X509_OK);
    assert_int_equal(ek->CONTENT.bytesLen, BOARD_CERTPROV_ENC_LEN);
    assert_int_equal(dh->CONTENT.bytesLen, 65);
    uint8_t priv[32];
    return board_certprov_decrypt(car_key, dh->CONTENT.bytes, ek->CONTENT.bytes, chain[0].pub.p, priv);
}

static void test_ca_provider_installation(void **state)
{
    (void)state;
    open_provider("cps.key", EMAID, HAL_OK);
    to_selection();
    s_pnc.cert_provider = board_certprov_answer;
    s_pnc.cert_ctx = &s_prov;
    assert_int_equal(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_OK);
    assert_int_equal(s_prov.answered, 1);
    const struct exi_iso2_CertificateInstallationResType *r = &s_r.V2G_Message.Body.CertificateInstallationRes;
    assert_int_equal(car_takes(&r->ContractSignatureCertChain, &r->ContractSignatureEncryptedPrivateKey,
                               &r->DHpublickey, s_oem_leaf.key),
                     HAL_OK);
    /* a car with another key cannot read it */
    assert_int_equal(car_takes(&r->ContractSignatureCertChain, &r->ContractSignatureEncryptedPrivateKey,
                               &r->DHpublickey, s_alien_oem.key),
                     HAL_EINVAL);
    struct exi_writer w;
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);
    board_certprov_close(&s_prov);
}

static void test_ca_provider_update(void **state)
{
    (void)state;
    open_provider("cps.key", EMAID, HAL_OK);
    to_selection();
    s_pnc.cert_provider = board_certprov_answer;
    s_pnc.cert_ctx = &s_prov;
    assert_int_equal(update(&s_contract, EMAID, &s_crypto2, s_k_contract), exi_iso2_responseCodeType_OK);
    const struct exi_iso2_CertificateUpdateResType *u = &s_r.V2G_Message.Body.CertificateUpdateRes;
    assert_int_equal(car_takes(&u->ContractSignatureCertChain, &u->ContractSignatureEncryptedPrivateKey,
                               &u->DHpublickey, s_contract.key),
                     HAL_OK);
    assert_int_equal(car_takes(&u->ContractSignatureCertChain, &u->ContractSignatureEncryptedPrivateKey,
                               &u->DHpublickey, s_oem_leaf.key),
                     HAL_EINVAL);
    board_certprov_close(&s_prov);
}

static void test_ca_provider_config_refusals(void **state)
{
    (void)state;
    open_provider("wrong.key", EMAID, HAL_EINVAL);   /* the key of another leaf */
    open_provider("missing.key", EMAID, HAL_EINVAL); /* no such file */
    open_provider("cps.key", "not an eMAID", HAL_EINVAL);
}


static double now_us(void)
{
    struct timespec t;
    (void)clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Figure for docs/pnc.md: a CertificateInstallationReq handled by the SECC with the local
 * CA provider (request signature, OEM chain, a new key and leaf, ECDH, AES, the four
 * References signed and the answer's signature checked). Printed, never a verdict. */
static void test_ca_provider_timing(void **state)
{
    (void)state;
    open_provider("cps.key", EMAID, HAL_OK);
    double best = 1e12, sum = 0;
    const int n = 10;
    for (int i = 0; i < n; i++) {
        to_selection();
        s_pnc.cert_provider = board_certprov_answer;
        s_pnc.cert_ctx = &s_prov;
        double t0 = now_us();
        assert_int_equal(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_OK);
        double dt = now_us() - t0;
        best = dt < best ? dt : best;
        sum += dt;
    }
    print_message("FIGURE CertificateInstallation with the local CA provider (sanitizer build, incl. signing the "
                  "request): best %.2f ms, mean %.2f ms over %d\n", best / 1000.0, sum / n / 1000.0, n);
    board_certprov_close(&s_prov);
}

/* ------------------------------------------------------------------ the recorded answers */
/* The recorded CertificateInstallationRes / CertificateUpdateRes (RISE-V2G behind a DS5366,
 * ../shared/vectors/sessions, read in place): our encoder reproduces each byte for byte
 * from its decoded form, and the local provider's answer has the same structure (which parts
 * carry an Id, the key and DH sizes, four References naming the four parts, the algorithms).
 * The digests of the signed parts are checked by `v2g-sig check` (exi-vectors), not here. */
static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The "exi" of the first line of @p file whose "msg" is @p msg, into @p out. 0: not found. */
static size_t recorded(const char *file, const char *msg, uint8_t *out, size_t cap)
{
    const char *shared = getenv("SHARED") != NULL ? getenv("SHARED") : "../shared";
    char path[512];
    (void)snprintf(path, sizeof path, "%s/vectors/sessions/%s", shared, file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    static char line[65536];
    char want[96];
    (void)snprintf(want, sizeof want, "\"msg\":\"%s\"", msg);
    size_t n = 0;
    while (n == 0 && fgets(line, sizeof line, f) != NULL) {
        char *m = strstr(line, want);
        char *e = strstr(line, "\"exi\":\"");
        if (m == NULL || e == NULL) {
            continue;
        }
        for (e += 7; hexval(e[0]) >= 0 && hexval(e[1]) >= 0 && n < cap; e += 2) {
            out[n++] = (uint8_t)(hexval(e[0]) * 16 + hexval(e[1]));
        }
    }
    (void)fclose(f);
    return n;
}

/* The structure both answers must share. */
static void assert_shape(const struct exi_iso2_document *d, bool update)
{
    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    const struct exi_iso2_CertificateChainType *sa, *cc;
    const struct exi_iso2_ContractSignatureEncryptedPrivateKeyType *ek;
    const struct exi_iso2_DiffieHellmanPublickeyType *dh;
    const struct exi_iso2_EMAIDType *em;
    if (update) {
        assert_true(b->CertificateUpdateRes_isUsed);
        sa = &b->CertificateUpdateRes.SAProvisioningCertificateChain;
        cc = &b->CertificateUpdateRes.ContractSignatureCertChain;
        ek = &b->CertificateUpdateRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateUpdateRes.DHpublickey;
        em = &b->CertificateUpdateRes.eMAID;
    } else {
        assert_true(b->CertificateInstallationRes_isUsed);
        sa = &b->CertificateInstallationRes.SAProvisioningCertificateChain;
        cc = &b->CertificateInstallationRes.ContractSignatureCertChain;
        ek = &b->CertificateInstallationRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateInstallationRes.DHpublickey;
        em = &b->CertificateInstallationRes.eMAID;
    }
    assert_false(sa->Id_isUsed);
    assert_true(sa->Certificate.bytesLen > 0);
    assert_true(cc->Id_isUsed);
    assert_true(cc->SubCertificates_isUsed);
    assert_int_equal(ek->CONTENT.bytesLen, 48);
    assert_int_equal(dh->CONTENT.bytesLen, 65);
    assert_int_equal(dh->CONTENT.bytes[0], 0x04);
    assert_true(em->CONTENT.charactersLen >= 14 && em->CONTENT.charactersLen <= 15);
    const struct exi_iso2_SignatureType *sg = &d->V2G_Message.Header.Signature;
    assert_true(d->V2G_Message.Header.Signature_isUsed);
    assert_int_equal(sg->SignedInfo.Reference.arrayLen, 4);
    assert_int_equal(sg->SignatureValue.CONTENT.bytesLen, 64);
    const struct {
        const char *id;
        uint16_t len;
    } ids[4] = {{cc->Id.characters, cc->Id.charactersLen},
                {ek->Id.characters, ek->Id.charactersLen},
                {dh->Id.characters, dh->Id.charactersLen},
                {em->Id.characters, em->Id.charactersLen}};
    for (unsigned i = 0; i < 4; i++) {
        bool named = false;
        for (unsigned r = 0; r < 4; r++) {
            const struct exi_iso2_ReferenceType *ref = &sg->SignedInfo.Reference.array[r];
            named = named || (ref->URI.charactersLen == ids[i].len + 1u && ref->URI.characters[0] == '#' &&
                              memcmp(ref->URI.characters + 1, ids[i].id, ids[i].len) == 0);
        }
        assert_true(named);
    }
}

static void check_recorded(const char *file, bool upd)
{
    static uint8_t rec[8192];
    size_t n = recorded(file, upd ? "CertificateUpdateRes" : "CertificateInstallationRes", rec, sizeof rec);
    if (n == 0) {
        print_message("SKIP recorded %s: ../shared (or $SHARED) not readable here\n", file);
        skip();
    }
    struct exi_reader rd;
    exi_reader_init(&rd, rec, n);
    assert_int_equal(exi_iso2_decode(&rd, &s_back), HAL_OK);
    assert_shape(&s_back, upd);
    struct exi_writer w;
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_back), HAL_OK);
    assert_int_equal(exi_writer_len(&w), n);
    assert_memory_equal(s_wire, rec, n);
    /* and ours has the same shape */
    open_provider("cps.key", EMAID, HAL_OK);
    to_selection();
    s_pnc.cert_provider = board_certprov_answer;
    s_pnc.cert_ctx = &s_prov;
    if (upd) {
        assert_int_equal(update(&s_contract, EMAID, &s_crypto2, s_k_contract), exi_iso2_responseCodeType_OK);
    } else {
        assert_int_equal(install(&s_oem_leaf, s_k_oem, true), exi_iso2_responseCodeType_OK);
    }
    exi_writer_init(&w, s_wire, sizeof s_wire);
    assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);
    exi_reader_init(&rd, s_wire, exi_writer_len(&w));
    assert_int_equal(exi_iso2_decode(&rd, &s_back), HAL_OK);
    assert_shape(&s_back, upd);
    board_certprov_close(&s_prov);
}

static void test_recorded_installation_shape(void **state)
{
    (void)state;
    check_recorded("ISO-2_DC_PnC_TLS_CertInstallation_DS5366_RiseV2G.pcapng.jsonl", false);
}

static void test_recorded_update_shape(void **state)
{
    (void)state;
    check_recorded("ISO-2_DC_PnC_TLS_CertUpdate_DS5366_RiseV2G.pcapng.jsonl", true);
}

/* ------------------------------------------------------------------ the car (iso2_ev_cert.c) */
/* The car's machine against the charger's, in memory, with the local CA provider between:
 * the car installs (or updates) its contract, checks the provider's chain and signature,
 * decrypts its new key, and pays with it in the same session. */
static struct iso2_ev s_ev;
static struct iso2_ev_cert s_evc;
static struct iso2_ev_contract s_old, s_new;
static struct linux_crypto s_crypto3; /* the car's new contract key goes here */
static uint8_t s_ev_buf[4096], s_new_buf[1024], s_old_buf[1024];
static uint8_t s_new_leaf[800], s_new_subs[2][800];
static size_t s_new_sub_len[2];
static EVP_PKEY *s_car_key;           /* what the car decrypts with */
static struct x509_cert s_v2g_roots[1];
static uint8_t s_corrupt;             /* flip a byte of the answer's encrypted key on the way */

static int car_take(void *ctx, bool upd, const struct exi_iso2_CertificateChainType *chain, const uint8_t *enc,
                    size_t enc_len, const uint8_t *dh, size_t dh_len, const char *emaid,
                    const struct iso2_ev_contract **contract, const char **why)
{
    (void)ctx;
    (void)upd;
    struct x509_cert leaf;
    if (enc_len != BOARD_CERTPROV_ENC_LEN || dh_len != 65 ||
        x509_parse(&leaf, chain->Certificate.bytes, chain->Certificate.bytesLen) != X509_OK) {
        *why = "malformed contract answer";
        return HAL_EINVAL;
    }
    uint8_t priv[32];
    if (board_certprov_decrypt(s_car_key, dh, enc, leaf.pub.p, priv) != HAL_OK) {
        *why = "the decrypted key does not fit the new contract certificate";
        return HAL_EINVAL;
    }
    /* the scalar into a PEM the port loads */
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn = BN_bin2bn(priv, 32, NULL);
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, leaf.pub.p, 65);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
    assert_int_equal(EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEYPAIR, params), 1);
    uint32_t h = 0;
    assert_int_equal(tp_add_key(&s_crypto3, k, &h), HAL_OK);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    BN_free(bn);
    OSSL_PARAM_BLD_free(bld);
    memcpy(s_new_leaf, chain->Certificate.bytes, chain->Certificate.bytesLen);
    const uint8_t *subs[2];
    uint8_t ns = chain->SubCertificates_isUsed ? (uint8_t)chain->SubCertificates.Certificate.arrayLen : 0u;
    for (uint8_t i = 0; i < ns && i < 2; i++) {
        memcpy(s_new_subs[i], chain->SubCertificates.Certificate.array[i].bytes,
               chain->SubCertificates.Certificate.array[i].bytesLen);
        s_new_sub_len[i] = chain->SubCertificates.Certificate.array[i].bytesLen;
        subs[i] = s_new_subs[i];
    }
    assert_int_equal(iso2_ev_contract_init(&s_new, &s_crypto3.base, h, s_new_leaf, chain->Certificate.bytesLen, subs,
                                           s_new_sub_len, ns, emaid, s_new_buf, sizeof s_new_buf),
                     HAL_OK);
    *contract = &s_new;
    return HAL_OK;
}

static void car_setup(bool upd, EVP_PKEY *car_key)
{
    open_provider("cps.key", EMAID, HAL_OK);
    start(true);
    s_pnc.cert_provider = board_certprov_answer;
    s_pnc.cert_ctx = &s_prov;
    linux_crypto_init(&s_crypto3);
    assert_int_equal(x509_parse(&s_v2g_roots[0], s_v2g_root.der, s_v2g_root.len), X509_OK);
    memset(&s_evc, 0, sizeof s_evc);
    s_evc.update = upd;
    s_evc.crypto = &s_crypto.base;
    s_evc.oem_key = s_k_oem;
    s_evc.oem_leaf = s_oem_leaf.der;
    s_evc.oem_leaf_len = s_oem_leaf.len;
    s_evc.v2g_roots = s_v2g_roots;
    s_evc.n_v2g_roots = 1;
    s_evc.now_s = (int64_t)time(NULL);
    s_evc.buf = s_ev_buf;
    s_evc.cap = sizeof s_ev_buf;
    s_evc.take = car_take;
    assert_int_equal(iso2_ev_cert_init(&s_evc), HAL_OK);
    s_car_key = car_key;
    s_corrupt = 0;
    struct iso2_ev_config cfg;
    iso2_ev_default_config(&cfg);
    cfg.cert = &s_evc;
    cfg.contract = NULL;
    if (upd) {
        const uint8_t *subs[1] = {s_mo_sub.der};
        size_t sl[1] = {s_mo_sub.len};
        assert_int_equal(iso2_ev_contract_init(&s_old, &s_crypto2.base, s_k_contract, s_contract.der, s_contract.len,
                                               subs, sl, 1, EMAID, s_old_buf, sizeof s_old_buf),
                         HAL_OK);
        cfg.contract = &s_old;
    }
    assert_int_equal(iso2_ev_start_negotiated(&s_ev, &cfg, 0, 0), HAL_OK);
}

static bool car_over(void)
{
    enum iso2_ev_state st = iso2_ev_state(&s_ev);
    return st == ISO2_EV_FAILED || st == ISO2_EV_DONE || st == ISO2_EV_PAUSED || st == ISO2_EV_IDLE;
}

/* Request and answer until the car reaches @p until or stops; the charger's notes kept. */
static enum iso2_ev_state car_run(enum iso2_ev_state until, char *notes, size_t cap)
{
    static uint8_t req_buf[8192], res_buf[8192];
    uint32_t now = 0;
    notes[0] = '\0';
    for (int i = 0; i < 2000 && iso2_ev_state(&s_ev) != until && !car_over(); i++) {
        now += 50;
        size_t len = 0;
        if (iso2_ev_next(&s_ev, now, req_buf, sizeof req_buf, &len) != HAL_OK || len == 0) {
            continue;
        }
        struct exi_reader rd;
        exi_reader_init(&rd, req_buf, len);
        assert_int_equal(exi_iso2_decode(&rd, &s_q), HAL_OK);
        assert_int_equal(iso2_evse_handle(&s_m, &s_q, &s_st, &s_r, &s_out, now), HAL_OK);
        if (s_out.note[0] != '\0') {
            size_t u = strlen(notes);
            (void)snprintf(notes + u, cap - u, "%s\n", s_out.note);
        }
        if (s_corrupt && s_r.V2G_Message.Body.CertificateInstallationRes_isUsed) {
            s_r.V2G_Message.Body.CertificateInstallationRes.ContractSignatureEncryptedPrivateKey.CONTENT.bytes[20] ^= 1;
        }
        struct exi_writer w;
        exi_writer_init(&w, res_buf, sizeof res_buf);
        assert_int_equal(exi_iso2_encode(&w, &s_r), HAL_OK);
        iso2_evse_sent(&s_m, now);
        (void)iso2_ev_receive(&s_ev, res_buf, exi_writer_len(&w), now + 5);
    }
    return iso2_ev_state(&s_ev);
}

static void car_teardown(void)
{
    board_certprov_close(&s_prov);
    linux_crypto_close(&s_crypto3);
}

static void test_car_installs_and_pays(void **state)
{
    (void)state;
    static char notes[2048];
    car_setup(false, s_oem_leaf.key);
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_CHARGE_PARAMETER);
    print_message("%s%s\n", notes, s_evc.note);
    assert_non_null(strstr(notes, "CertificateInstallationReq signature valid, OEM provisioning chain valid"));
    assert_non_null(strstr(notes, "contract chain of " EMAID " valid"));
    assert_non_null(strstr(notes, "AuthorizationReq signature of " EMAID " valid, GenChallenge ok"));
    assert_non_null(strstr(s_evc.note, "SA provisioning chain valid (root 0), signature valid, contract " EMAID " installed"));
    assert_string_equal(iso2_evse_emaid(&s_m), EMAID);
    /* the contract the charger checked in PaymentDetails is the one just issued */
    struct x509_cert nl;
    assert_int_equal(x509_parse(&nl, s_new.leaf, s_new.leaf_len), X509_OK);
    assert_memory_equal(s_m.contract_pub, nl.pub.p, 65);
    car_teardown();
}

static void test_car_updates_and_pays(void **state)
{
    (void)state;
    static char notes[2048];
    car_setup(true, s_contract.key);
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_CHARGE_PARAMETER);
    assert_non_null(strstr(notes, "CertificateUpdateReq of " EMAID ": signature valid, contract chain valid"));
    assert_non_null(strstr(s_evc.note, "contract " EMAID " updated"));
    assert_true(s_new.leaf_len > 0 && memcmp(s_new.leaf, s_contract.der, 16) != 0);
    car_teardown();
}

static void test_car_refusals(void **state)
{
    (void)state;
    static char notes[2048];
    /* the provider's chain does not end at a V2G root the car trusts */
    car_setup(false, s_oem_leaf.key);
    s_evc.v2g_roots = s_mo_roots;
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_FAILED);
    assert_non_null(strstr(iso2_ev_reason(&s_ev), "SA provisioning chain"));
    car_teardown();
    /* the answer altered on the way: the provider's signature no longer covers it */
    car_setup(false, s_oem_leaf.key);
    s_corrupt = 1;
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_FAILED);
    assert_non_null(strstr(iso2_ev_reason(&s_ev), "provider signature"));
    car_teardown();
    /* decrypted with a key that is not the one it was encrypted for */
    car_setup(false, s_alien_oem.key);
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_FAILED);
    assert_non_null(strstr(iso2_ev_reason(&s_ev), "does not fit"));
    car_teardown();
    /* a charger without the Certificate service: the car without a contract stops */
    car_setup(false, s_oem_leaf.key);
    s_pnc.cert_provider = NULL;
    assert_int_equal(car_run(ISO2_EV_CHARGE_PARAMETER, notes, sizeof notes), ISO2_EV_FAILED);
    assert_non_null(strstr(iso2_ev_reason(&s_ev), "no certificate installation"));
    car_teardown();
}

static int all_setup(void **state)
{
    return group_setup(state) == 0 ? prov_setup() : -1;
}

static int all_teardown(void **state)
{
    prov_teardown();
    return group_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_offered_only_with_provider),
        cmocka_unit_test(test_good_installation),
        cmocka_unit_test(test_installation_without_oem_roots),
        cmocka_unit_test(test_installation_refusals),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_ca_provider_installation),
        cmocka_unit_test(test_ca_provider_update),
        cmocka_unit_test(test_ca_provider_config_refusals),
        cmocka_unit_test(test_ca_provider_timing),
        cmocka_unit_test(test_recorded_installation_shape),
        cmocka_unit_test(test_recorded_update_shape),
        cmocka_unit_test(test_car_installs_and_pays),
        cmocka_unit_test(test_car_updates_and_pays),
        cmocka_unit_test(test_car_refusals),
    };
    return cmocka_run_group_tests(tests, all_setup, all_teardown);
}
