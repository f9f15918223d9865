/*
 * iso2_evse_pnc.c - owns the Plug & Charge part of the ISO-2 charger machine: whether
 * Contract may be offered, PaymentDetails (the contract chain validated against the
 * mobility-operator roots with the charger's clock and the eMAID, a fresh GenChallenge) and
 * the Contract check of AuthorizationReq (the car's signature with the contract leaf's key,
 * the challenge). The eMAID becomes the session's token (ISO2_EVSE_EV_CONTRACT).
 * No I/O, no clock, no heap: crypto, random source, roots, clock and scratch come from the
 * struct iso2_evse_pnc the caller lends (docs/pnc.md "Sessions").
 */
#include "iso2/iso2_evse_priv.h"

#include <stdio.h>
#include <string.h>

#include "iso2/iso2_sig.h"

bool iso2_evse_pnc_ready(const struct iso2_evse_pnc *pnc)
{
    /* A port without ECDSA verify (the Cortex-M board today) can check neither the chain
     * nor the car's signature: such a charger must not list Contract. */
    return pnc != NULL && pnc->secure && pnc->crypto != NULL && pnc->crypto->ops != NULL &&
           pnc->crypto->ops->ecdsa_verify != NULL && pnc->rng != NULL && pnc->roots != NULL &&
           pnc->nroots > 0 && pnc->buf != NULL && pnc->cap >= 256u;
}

const char *iso2_evse_emaid(const struct iso2_evse *m)
{
    return m != NULL && m->contract_ok ? m->emaid : "";
}

bool iso2_evse_contract_offered(const struct iso2_evse *m)
{
    /* a context lent without its checks (never iso2_evse_pnc_init'ed) cannot serve one */
    return m->cfg.offer_contract && iso2_evse_pnc_ready(m->pnc) && m->pnc->payment_details != NULL &&
           m->pnc->contract_auth != NULL;
}

/* x509 names the ISO-2 code of each reason as text (it does not depend on the ISO-2 codec). */
static uint8_t s_code_of(enum x509_reason r)
{
    const char *c = x509_reason_iso2(r);
    if (strcmp(c, "FAILED_CertificateExpired") == 0) {
        return CODE(FAILED_CertificateExpired);
    }
    if (strcmp(c, "FAILED_NoCertificateAvailable") == 0) {
        return CODE(FAILED_NoCertificateAvailable);
    }
    if (strcmp(c, "FAILED_CertChainError") == 0) {
        return CODE(FAILED_CertChainError);
    }
    if (strcmp(c, "FAILED_CertificateRevoked") == 0) {
        return CODE(FAILED_CertificateRevoked);
    }
    return CODE(FAILED);
}

/* The log line of a check: "pnc: <what> of <eMAID> <verdict>". */
static void s_note(struct iso2_evse *m, struct iso2_evse_request *out, const char *what, const char *emaid,
                   const char *verdict, int i)
{
    if (i >= 0) {
        (void)snprintf(m->note, sizeof m->note, "pnc: %s of %s %s %d", what, emaid, verdict, i);
    } else {
        (void)snprintf(m->note, sizeof m->note, "pnc: %s of %s %s", what, emaid, verdict);
    }
    out->note = m->note;
}

/* Parse the chain of the request into pnc->chain; the leaf first, as the car sends it. */
static enum x509_reason s_parse_chain(struct iso2_evse_pnc *p, const struct exi_iso2_CertificateChainType *cc,
                                      size_t *n, int *bad)
{
    *n = 0;
    *bad = 0;
    enum x509_reason r = x509_parse(&p->chain[0], cc->Certificate.bytes, cc->Certificate.bytesLen);
    if (r != X509_OK) {
        return r;
    }
    *n = 1;
    if (cc->SubCertificates_isUsed) {
        uint16_t ns = cc->SubCertificates.Certificate.arrayLen;
        if (ns > CFG_EXI_ISO2_SUBCERTIFICATESTYPE_CERTIFICATE_MAX) {
            *bad = 1;
            return X509_E_CHAIN_TOO_LONG;
        }
        for (uint16_t i = 0; i < ns; i++) {
            r = x509_parse(&p->chain[1u + i], cc->SubCertificates.Certificate.array[i].bytes,
                           cc->SubCertificates.Certificate.array[i].bytesLen);
            if (r != X509_OK) {
                *bad = 1 + (int)i;
                return r;
            }
            *n = 2u + i;
        }
    }
    return X509_OK;
}

/* The chain check of an accepted-so-far PaymentDetailsReq (reached through the context). */
static uint8_t s_payment_details(struct iso2_evse *m, const struct exi_iso2_document *req,
                                 struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_PaymentDetailsResType *r = &res->V2G_Message.Body.PaymentDetailsRes;
    struct iso2_evse_pnc *p = m->pnc;
    {
        r->EVSETimeStamp = p->now_s;
        const struct exi_iso2_PaymentDetailsReqType *q = &req->V2G_Message.Body.PaymentDetailsReq;
        char emaid[sizeof m->emaid];
        size_t el = q->eMAID.charactersLen < sizeof emaid - 1u ? q->eMAID.charactersLen : sizeof emaid - 1u;
        memcpy(emaid, q->eMAID.characters, el);
        emaid[el] = '\0';
        size_t n = 0;
        int bad = 0;
        struct x509_verdict v = {.reason = X509_OK, .index = -1, .root = -1};
        enum x509_reason why = s_parse_chain(p, &q->ContractSignatureCertChain, &n, &bad);
        if (why == X509_OK) {
            why = x509_chain_validate(p->crypto, X509_ROLE_CONTRACT, p->chain, n, p->roots, p->nroots, p->now_s,
                                      emaid, &v);
            bad = v.index;
        }
        /* A leaf whose key is not a P-256 point could not verify the car's signature; the
         * profile check refuses it already, this guards the copy below. */
        if (why == X509_OK && p->chain[0].pub.len != sizeof m->contract_pub) {
            why = X509_E_KEY_TYPE;
            bad = 0;
        }
        if (why != X509_OK) {
            char v2[96];
            (void)snprintf(v2, sizeof v2, "refused: %s; certificate", x509_reason_text(why));
            s_note(m, out, "contract chain", emaid, v2, bad);
            code = iso2_evse_refuse(m, s_code_of(why), x509_reason_text(why));
        } else if (hal_rng_fill(p->rng, m->challenge, sizeof m->challenge) != HAL_OK) {
            code = iso2_evse_refuse(m, CODE(FAILED), "no random source for the GenChallenge");
        } else {
            memcpy(m->contract_pub, p->chain[0].pub.p, sizeof m->contract_pub);
            memcpy(m->emaid, emaid, el + 1u);
            m->contract_ok = true;
            m->challenge_live = true;
            memcpy(r->GenChallenge.bytes, m->challenge, sizeof m->challenge);
            s_note(m, out, "contract chain", emaid, n > 1 ? "valid (leaf and Sub-CAs), root" : "valid (leaf), root",
                   v.root);
            if (v.expires_soon) {
                /* [V2G2-690]: tell the car to update its contract soon. */
                code = CODE(OK_CertificateExpiresSoon);
            }
        }
    }
    return code;
}

/* The signature and challenge check of a Contract AuthorizationReq (through the context). */
const char *iso2_evse_contract_sig_check(struct iso2_evse *m, const struct exi_iso2_document *req)
{
    struct iso2_evse_pnc *p = m->pnc;
    /* The header is const for the machine; the verifier clears the fields [V2G2-771]
     * leaves out, so it works on the copy in the lent context. */
    p->hdr = req->V2G_Message.Header;
    struct iso2_sig_check c = {.crypto = p->crypto,
                               .pub = m->contract_pub,
                               .pub_len = sizeof m->contract_pub,
                               .buf = p->buf,
                               .cap = p->cap};
    if (iso2_sig_verify(&c, &p->hdr, &req->V2G_Message.Body) != HAL_OK) {
        return iso2_sig_error_str(c.error);
    }
    return NULL;
}

static uint8_t s_contract_auth(struct iso2_evse *m, const struct exi_iso2_document *req,
                               struct iso2_evse_request *out, uint8_t code)
{
    const struct exi_iso2_AuthorizationReqType *q = &req->V2G_Message.Body.AuthorizationReq;
    if (m->loop_msg == ISO2_MSG_AUTHORIZATION && !req->V2G_Message.Header.Signature_isUsed && !q->GenChallenge_isUsed &&
        !q->Id_isUsed) {
        /* A repeat of the Ongoing loop after the signed first one (which passed, or the
         * session would have ended): the car sends it empty ([V2G2-684]). One that carries
         * a challenge or a signature is checked like the first. */
        return code;
    }
    const char *bad_sig = iso2_evse_contract_sig_check(m, req);
    if (bad_sig != NULL) {
        char v2[96];
        (void)snprintf(v2, sizeof v2, "refused: %s", bad_sig);
        s_note(m, out, "AuthorizationReq signature", m->emaid, v2, -1);
        return iso2_evse_refuse(m, CODE(FAILED_SignatureError), bad_sig);
    }
    /* Signed and ours: now the challenge. A signature replayed from another session (or
     * made over an old challenge) verifies, but its GenChallenge is not the live one. */
    if (!m->challenge_live || !q->GenChallenge_isUsed || q->GenChallenge.bytesLen != sizeof m->challenge ||
        memcmp(q->GenChallenge.bytes, m->challenge, sizeof m->challenge) != 0) {
        s_note(m, out, "AuthorizationReq", m->emaid, "refused: GenChallenge is not the one issued", -1);
        return iso2_evse_refuse(m, CODE(FAILED_ChallengeInvalid), "GenChallenge is not the one issued");
    }
    if (m->loop_msg != ISO2_MSG_AUTHORIZATION) {
        out->events |= ISO2_EVSE_EV_CONTRACT;
    }
    s_note(m, out, "AuthorizationReq signature", m->emaid, "valid, GenChallenge ok", -1);
    return code;
}

/* The only reference to the two checks above: a board that never makes a context (the
 * Cortex-M build, no ECDSA port) links neither the X.509 validation nor the signature
 * code (function sections), although the charger's ISO-2 backend lends whatever context
 * it was given (iso2_evse_lend_pnc). */
void iso2_evse_pnc_init(struct iso2_evse_pnc *pnc)
{
    if (pnc != NULL) {
        pnc->payment_details = s_payment_details;
        pnc->contract_auth = s_contract_auth;
    }
    iso2_evse_receipt_init(pnc); /* the signed MeteringReceipt check (iso2_evse_receipt.c) */
}

int iso2_evse_lend_pnc(struct iso2_evse *m, struct iso2_evse_pnc *pnc)
{
    if (m == NULL) {
        return HAL_EINVAL;
    }
    m->pnc = pnc;
    return HAL_OK;
}

int iso2_evse_set_pnc(struct iso2_evse *m, struct iso2_evse_pnc *pnc)
{
    iso2_evse_pnc_init(pnc);
    return iso2_evse_lend_pnc(m, pnc);
}

uint8_t iso2_evse_on_payment_details(struct iso2_evse *m, const struct exi_iso2_document *req,
                                     struct exi_iso2_document *res, struct iso2_evse_request *out, uint8_t code)
{
    struct exi_iso2_PaymentDetailsResType *r = &res->V2G_Message.Body.PaymentDetailsRes;
    res->V2G_Message.Body.PaymentDetailsRes_isUsed = true;
    /* The schema needs 16 bytes even in a refusal; they are zero there. */
    r->GenChallenge.bytesLen = ISO2_EVSE_CHALLENGE_LEN;
    if (code == CODE(OK) && m->ev.payment != exi_iso2_paymentOptionType_Contract) {
        code = iso2_evse_refuse(m, CODE(FAILED_SequenceError), "PaymentDetails without Contract payment");
    }
    if (code == CODE(OK) && (!iso2_evse_contract_offered(m) || m->pnc->payment_details == NULL)) {
        code = iso2_evse_refuse(m, CODE(FAILED), "PaymentDetails but Contract is not offered");
    }
    if (code == CODE(OK)) {
        code = m->pnc->payment_details(m, req, res, out, code);
    }
    r->ResponseCode = code;
    return code;
}

uint8_t iso2_evse_check_contract_auth(struct iso2_evse *m, const struct exi_iso2_document *req,
                                      struct iso2_evse_request *out, uint8_t code)
{
    if (!m->contract_ok || m->pnc == NULL || m->pnc->contract_auth == NULL) {
        return iso2_evse_refuse(m, CODE(FAILED_SequenceError), "Authorization (Contract) before PaymentDetails");
    }
    return m->pnc->contract_auth(m, req, out, code);
}
