/*
 * iso2_evse_cert.c - owns the SECC's CertificateInstallation and CertificateUpdate: whether
 * the Certificate service is offered, the checks of the car's request (its signature with
 * the OEM provisioning leaf it carries or with its current contract leaf, the OEM or
 * contract chain against the configured roots, the eMAID), the hand-over to the station's
 * certificate provider hook, and the check of the provider's signed answer before it goes
 * out. Kept apart from iso2_evse_pnc.c (PaymentDetails, Authorization, MeteringReceipt) so
 * that a board without a provider links none of it. No I/O, no clock, no heap: everything
 * comes from the struct iso2_evse_pnc the caller lends (docs/pnc.md "Installation and update").
 */
#include "iso2/iso2_evse_priv.h"

#include <stdio.h>
#include <string.h>

#include "iso2/iso2_sig.h"

bool iso2_evse_cert_offered(const struct iso2_evse *m)
{
    return m != NULL && iso2_evse_contract_offered(m) && m->pnc->cert_provider != NULL && m->pnc->cert != NULL;
}

/* The ISO-2 code of an X.509 refusal (x509 names it as text: it knows no ISO-2 codec). */
static uint8_t s_chain_code(enum x509_reason r)
{
    const char *c = x509_reason_iso2(r);
    if (strcmp(c, "FAILED_CertificateExpired") == 0) {
        return CODE(FAILED_CertificateExpired);
    }
    if (strcmp(c, "FAILED_NoCertificateAvailable") == 0) {
        return CODE(FAILED_NoCertificateAvailable);
    }
    if (strcmp(c, "FAILED_CertificateRevoked") == 0) {
        return CODE(FAILED_CertificateRevoked);
    }
    return CODE(FAILED_CertChainError);
}

/* "pnc: <what> <verdict>" into the session's note (the charger logs it). */
static void s_note(struct iso2_evse *m, struct iso2_evse_request *out, const char *what, const char *verdict)
{
    (void)snprintf(m->note, sizeof m->note, "pnc: %.32s %.120s", what, verdict);
    out->note = m->note;
}

/* Refuse with @p code, the note naming @p what and the reason. */
static uint8_t s_refuse(struct iso2_evse *m, struct iso2_evse_request *out, const char *what, uint8_t code,
                        const char *reason)
{
    char v[128];
    (void)snprintf(v, sizeof v, "refused: %.110s", reason);
    s_note(m, out, what, v);
    /* the session keeps a pointer to its reason: point into the note, which outlives this
     * call (the callers' reasons are often built on their stack) */
    const char *kept = strstr(m->note, "refused: ");
    return iso2_evse_refuse(m, code, kept != NULL ? kept + 9 : "certificate installation/update refused");
}

/* The request's header Signature with @p pub (65 bytes); it must cover the request body. */
static int s_verify_req(struct iso2_evse_pnc *p, const struct exi_iso2_document *req, const uint8_t *pub,
                        enum iso2_sig_error *why)
{
    p->hdr = req->V2G_Message.Header; /* the verifier edits the header: work on the copy */
    struct iso2_sig_check c = {.crypto = p->crypto, .pub = pub, .pub_len = 65, .buf = p->buf, .cap = p->cap};
    int rc = iso2_sig_verify(&c, &p->hdr, &req->V2G_Message.Body);
    *why = c.error;
    return rc;
}

/* CertificateInstallationReq: the OEM provisioning leaf (alone in the message), the
 * request's signature with its key, its chain with the configured OEM Sub-CAs and roots. */
static uint8_t s_check_install(struct iso2_evse *m, const struct exi_iso2_document *req,
                               struct iso2_evse_request *out, struct iso2_evse_cert_req *q)
{
    struct iso2_evse_pnc *p = m->pnc;
    const struct exi_iso2_CertificateInstallationReqType *r = &req->V2G_Message.Body.CertificateInstallationReq;
    const char *what = "CertificateInstallationReq";
    enum x509_reason xr = x509_parse(&p->chain[0], r->OEMProvisioningCert.bytes, r->OEMProvisioningCert.bytesLen);
    if (xr == X509_OK && p->chain[0].pub.len != 65u) {
        xr = X509_E_KEY_TYPE;
    }
    if (xr != X509_OK) {
        return s_refuse(m, out, what, CODE(FAILED_CertChainError), x509_reason_text(xr));
    }
    enum iso2_sig_error se = ISO2_SIG_OK;
    if (s_verify_req(p, req, p->chain[0].pub.p, &se) != HAL_OK) {
        return s_refuse(m, out, what, CODE(FAILED_SignatureError), iso2_sig_error_str(se));
    }
    if (p->n_oem_roots > 0) {
        size_t n = 1;
        for (size_t i = 0; i < p->n_oem_subs && n < ISO2_EVSE_CHAIN_MAX; i++) {
            p->chain[n++] = p->oem_subs[i];
        }
        struct x509_verdict v = {.reason = X509_OK, .index = -1, .root = -1};
        xr = x509_chain_validate(p->crypto, X509_ROLE_OEM, p->chain, n, p->oem_roots, p->n_oem_roots, p->now_s,
                                 NULL, &v);
        if (xr != X509_OK) {
            char why[112];
            (void)snprintf(why, sizeof why, "OEM provisioning chain: %s; certificate %d", x509_reason_text(xr),
                           v.index);
            return s_refuse(m, out, what, s_chain_code(xr), why);
        }
        s_note(m, out, what, "signature valid, OEM provisioning chain valid");
    } else {
        /* Without OEM roots the charger cannot judge the chain: a backend provider does (as
         * EvseV2G forwards unverified); said in the log, not hidden. */
        s_note(m, out, what, "signature valid, OEM chain not checked (no pnc.oem_roots): left to the provider");
    }
    q->update = false;
    q->emaid = "";
    q->car_pub = p->chain[0].pub.p;
    q->car_cert = r->OEMProvisioningCert.bytes;
    q->car_cert_len = r->OEMProvisioningCert.bytesLen;
    return CODE(OK);
}

/* CertificateUpdateReq: the current contract chain parsed, the request's signature with
 * its leaf, the chain against the mobility-operator roots with the request's eMAID. */
static uint8_t s_check_update(struct iso2_evse *m, const struct exi_iso2_document *req,
                              struct iso2_evse_request *out, struct iso2_evse_cert_req *q)
{
    struct iso2_evse_pnc *p = m->pnc;
    const struct exi_iso2_CertificateUpdateReqType *r = &req->V2G_Message.Body.CertificateUpdateReq;
    const struct exi_iso2_CertificateChainType *cc = &r->ContractSignatureCertChain;
    const char *what = "CertificateUpdateReq";
    size_t el = r->eMAID.charactersLen < sizeof m->emaid - 1u ? r->eMAID.charactersLen : sizeof m->emaid - 1u;
    char emaid[sizeof m->emaid];
    memcpy(emaid, r->eMAID.characters, el);
    emaid[el] = '\0';
    size_t n = 0;
    enum x509_reason xr = x509_parse(&p->chain[0], cc->Certificate.bytes, cc->Certificate.bytesLen);
    int bad = 0;
    if (xr == X509_OK) {
        n = 1;
        uint16_t ns = cc->SubCertificates_isUsed ? cc->SubCertificates.Certificate.arrayLen : 0u;
        if (ns > CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX) {
            xr = X509_E_CHAIN_TOO_LONG;
        }
        for (uint16_t i = 0; xr == X509_OK && i < ns; i++) {
            xr = x509_parse(&p->chain[n], cc->SubCertificates.Certificate.array[i].bytes,
                            cc->SubCertificates.Certificate.array[i].bytesLen);
            bad = (int)n;
            n++;
        }
    }
    if (xr == X509_OK && p->chain[0].pub.len != 65u) {
        xr = X509_E_KEY_TYPE;
        bad = 0;
    }
    char why[112];
    if (xr != X509_OK) {
        (void)snprintf(why, sizeof why, "contract chain of %s: %s; certificate %d", emaid, x509_reason_text(xr), bad);
        return s_refuse(m, out, what, CODE(FAILED_CertChainError), why);
    }
    enum iso2_sig_error se = ISO2_SIG_OK;
    if (s_verify_req(p, req, p->chain[0].pub.p, &se) != HAL_OK) {
        return s_refuse(m, out, what, CODE(FAILED_SignatureError), iso2_sig_error_str(se));
    }
    /* The eMAID of the request must be the leaf's CN (the validation compares them). */
    struct x509_verdict v = {.reason = X509_OK, .index = -1, .root = -1};
    xr = x509_chain_validate(p->crypto, X509_ROLE_CONTRACT, p->chain, n, p->roots, p->nroots, p->now_s, emaid, &v);
    if (xr != X509_OK) {
        (void)snprintf(why, sizeof why, "contract chain of %s: %s; certificate %d", emaid, x509_reason_text(xr),
                       v.index);
        return s_refuse(m, out, what, s_chain_code(xr), why);
    }
    char ok[96];
    (void)snprintf(ok, sizeof ok, "of %s: signature valid, contract chain valid, root %d", emaid, v.root);
    s_note(m, out, what, ok);
    memcpy(m->emaid, emaid, el + 1u); /* kept for the provider; contract_ok stays false */
    q->update = true;
    q->emaid = m->emaid;
    q->car_pub = p->chain[0].pub.p;
    q->car_cert = cc->Certificate.bytes;
    q->car_cert_len = cc->Certificate.bytesLen;
    return CODE(OK);
}

/* The provider's answer is signed by the leaf of its SAProvisioningCertificateChain over
 * the four parts; a provider with a wrong key or a broken answer must not reach the car. */
static int s_check_answer(struct iso2_evse_pnc *p, struct exi_iso2_document *res, bool update,
                          enum iso2_sig_error *se, enum x509_reason *xr)
{
    const struct exi_iso2_CertificateChainType *sa =
        update ? &res->V2G_Message.Body.CertificateUpdateRes.SAProvisioningCertificateChain
               : &res->V2G_Message.Body.CertificateInstallationRes.SAProvisioningCertificateChain;
    struct x509_cert leaf;
    *xr = x509_parse(&leaf, sa->Certificate.bytes, sa->Certificate.bytesLen);
    if (*xr != X509_OK || leaf.pub.len != 65u) {
        return HAL_EPROTO;
    }
    p->hdr = res->V2G_Message.Header;
    struct iso2_sig_check c = {.crypto = p->crypto, .pub = leaf.pub.p, .pub_len = 65, .buf = p->buf, .cap = p->cap};
    int rc = iso2_sig_verify(&c, &p->hdr, &res->V2G_Message.Body);
    *se = c.error;
    return rc;
}

/* The whole request (reached through pnc->cert, filled by iso2_evse_cert_init). */
static uint8_t s_certificate(struct iso2_evse *m, const struct exi_iso2_document *req, struct exi_iso2_document *res,
                             struct iso2_evse_request *out, uint8_t code)
{
    struct iso2_evse_pnc *p = m->pnc;
    bool update = req->V2G_Message.Body.CertificateUpdateReq_isUsed;
    struct iso2_evse_cert_req q;
    memset(&q, 0, sizeof q);
    q.req = req;
    code = update ? s_check_update(m, req, out, &q) : s_check_install(m, req, out, &q);
    if (code != CODE(OK)) {
        return code;
    }
    const char *what = update ? "CertificateUpdateRes" : "CertificateInstallationRes";
    char why[96] = "";
    int rc = p->cert_provider(p->cert_ctx, &q, res, why, sizeof why);
    /* The machine decides which body is used: a provider cannot switch the message. */
    res->V2G_Message.Body.CertificateInstallationRes_isUsed = !update;
    res->V2G_Message.Body.CertificateUpdateRes_isUsed = update;
    if (rc != HAL_OK) {
        char v[128];
        (void)snprintf(v, sizeof v, "certificate provider: %s", why[0] != '\0' ? why : hal_strerror(rc));
        res->V2G_Message.Header.Signature_isUsed = false;
        return s_refuse(m, out, what, rc == HAL_ENOENT ? CODE(FAILED_NoCertificateAvailable) : CODE(FAILED), v);
    }
    enum iso2_sig_error se = ISO2_SIG_OK;
    enum x509_reason xr = X509_OK;
    if (s_check_answer(p, res, update, &se, &xr) != HAL_OK) {
        char v[128];
        (void)snprintf(v, sizeof v, "certificate provider's answer: %s",
                       xr != X509_OK ? x509_reason_text(xr) : iso2_sig_error_str(se));
        res->V2G_Message.Header.Signature_isUsed = false;
        return s_refuse(m, out, what, CODE(FAILED), v);
    }
    /* keep the check line of the request and add the provider's verdict */
    size_t used = iso2_evse_len(m->note, sizeof m->note);
    (void)snprintf(m->note + used, sizeof m->note - used, "; provider answered, signature valid");
    out->note = m->note;
    return CODE(OK);
}

void iso2_evse_cert_init(struct iso2_evse_pnc *pnc)
{
    if (pnc != NULL) {
        pnc->cert = s_certificate;
    }
}

uint8_t iso2_evse_on_certificate(struct iso2_evse *m, const struct exi_iso2_document *req,
                                 struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code)
{
    bool update = req->V2G_Message.Body.CertificateUpdateReq_isUsed;
    if (code == CODE(OK) && m->ev.payment != exi_iso2_paymentOptionType_Contract) {
        code = iso2_evse_refuse(m, CODE(FAILED_SequenceError), "certificate installation/update without Contract payment");
    }
    if (code == CODE(OK) && !iso2_evse_cert_offered(m)) {
        code = iso2_evse_refuse(m, CODE(FAILED), "certificate installation/update is not offered (no provider)");
    }
    /* Once per session, and before PaymentDetails: the car pays with the contract it got. */
    if (code == CODE(OK) && (m->cert_done || m->contract_ok)) {
        code = iso2_evse_refuse(m, CODE(FAILED_SequenceError), "certificate installation/update repeated or after PaymentDetails");
    }
    if (code == CODE(OK)) {
        m->cert_done = true;
        code = m->pnc->cert(m, req, res, out, code);
    }
    struct exi_iso2_BodyType *b = &res->V2G_Message.Body;
    if (!iso2_response_code_ok(code)) {
        /* nothing a provider may have half filled goes out with a refusal */
        memset(update ? (void *)&b->CertificateUpdateRes : (void *)&b->CertificateInstallationRes, 0,
               update ? sizeof b->CertificateUpdateRes : sizeof b->CertificateInstallationRes);
        res->V2G_Message.Header.Signature_isUsed = false;
    }
    if (update) {
        b->CertificateUpdateRes_isUsed = true;
        b->CertificateUpdateRes.ResponseCode = code;
        if (!iso2_response_code_ok(code)) {
            /* RISE-V2G sends RetryCounter 0 with a refusal: do not retry on this charger */
            b->CertificateUpdateRes.RetryCounter = 0;
            b->CertificateUpdateRes.RetryCounter_isUsed = true;
        }
    } else {
        b->CertificateInstallationRes_isUsed = true;
        b->CertificateInstallationRes.ResponseCode = code;
    }
    return code;
}
