/*
 * iso2_ev_cert.c - owns the car's CertificateInstallation and CertificateUpdate: the signed
 * request (the OEM provisioning leaf and key, or the current contract chain and key, with the
 * V2G roots the car trusts), and the checks of the answer before the car takes its new
 * contract: the SA provisioning chain valid to a V2G root (role cps) by the car's clock, its
 * leaf's signature over the four parts. Decrypting the key needs ECDH, which the crypto port
 * does not offer: the caller's take hook does it and lends the new contract. Reached only
 * through the hooks iso2_ev_cert_init() sets. No I/O, no heap.
 */
#include "iso2/iso2_ev_priv.h"

#include <stdio.h>
#include <string.h>

#include "iso2/iso2_sig.h"

/* The V2G roots the car trusts as ListOfRootCertificateIDs (issuer name, serial). */
static void s_root_ids(const struct iso2_ev_cert *c, struct exi_iso2_ListOfRootCertificateIDsType *l)
{
    uint16_t n = 0;
    for (size_t i = 0; i < c->n_v2g_roots && n < CFG_EXI_ISO2_LISTOFROOTCERTIFICATEIDSTYPE_ROOTCERTIFICATEID_MAX; i++) {
        struct exi_iso2_X509IssuerSerialType *id = &l->RootCertificateID.array[n];
        char name[CFG_EXI_ISO2_X509ISSUERSERIALTYPE_X509ISSUERNAME_LEN + 1];
        size_t nl = x509_name_text(&c->v2g_roots[i].subject, name, sizeof name);
        memcpy(id->X509IssuerName.characters, name, nl);
        id->X509IssuerName.charactersLen = (uint16_t)nl;
        int64_t serial = 0;
        const struct x509_span *sp = &c->v2g_roots[i].serial;
        for (size_t k = 0; k < sp->len && k < 8u; k++) {
            serial = (int64_t)(((uint64_t)serial << 8) | sp->p[k]);
        }
        id->X509SerialNumber = serial;
        n++;
    }
    l->RootCertificateID.arrayLen = n;
}

static int s_build(struct iso2_ev *ev, struct exi_iso2_document *d, const char **why)
{
    struct iso2_ev_cert *c = ev->cfg.cert;
    struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    struct hal_crypto *crypto = c->crypto;
    uint32_t key = c->oem_key;
    if (c->update) {
        const struct iso2_ev_contract *k = ev->cfg.contract;
        struct exi_iso2_CertificateUpdateReqType *q = &b->CertificateUpdateReq;
        b->CertificateUpdateReq_isUsed = true;
        memcpy(q->Id.characters, "ID1", 3);
        q->Id.charactersLen = 3;
        memcpy(q->ContractSignatureCertChain.Certificate.bytes, k->leaf, k->leaf_len);
        q->ContractSignatureCertChain.Certificate.bytesLen = (uint16_t)k->leaf_len;
        for (uint8_t i = 0; i < k->n_subs; i++) {
            memcpy(q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytes, k->subs[i], k->sub_len[i]);
            q->ContractSignatureCertChain.SubCertificates.Certificate.array[i].bytesLen = (uint16_t)k->sub_len[i];
        }
        q->ContractSignatureCertChain.SubCertificates.Certificate.arrayLen = k->n_subs;
        q->ContractSignatureCertChain.SubCertificates_isUsed = k->n_subs > 0;
        size_t el = strlen(k->emaid);
        if (el > sizeof q->eMAID.characters) {
            *why = "eMAID too long for CertificateUpdateReq";
            return HAL_EINVAL;
        }
        memcpy(q->eMAID.characters, k->emaid, el);
        q->eMAID.charactersLen = (uint16_t)el;
        s_root_ids(c, &q->ListOfRootCertificateIDs);
        crypto = k->crypto;
        key = k->key;
    } else {
        struct exi_iso2_CertificateInstallationReqType *q = &b->CertificateInstallationReq;
        b->CertificateInstallationReq_isUsed = true;
        memcpy(q->Id.characters, "ID1", 3);
        q->Id.charactersLen = 3;
        memcpy(q->OEMProvisioningCert.bytes, c->oem_leaf, c->oem_leaf_len);
        q->OEMProvisioningCert.bytesLen = (uint16_t)c->oem_leaf_len;
        s_root_ids(c, &q->ListOfRootCertificateIDs);
    }
    static const char *const ids[] = {"ID1"};
    enum iso2_sig_error err = ISO2_SIG_OK;
    if (iso2_sig_sign(crypto, key, &d->V2G_Message.Header, b, ids, 1, c->buf, c->cap, &err) != HAL_OK) {
        *why = c->update ? "cannot sign CertificateUpdateReq with the contract key"
                         : "cannot sign CertificateInstallationReq with the OEM provisioning key";
        return HAL_EIO;
    }
    return HAL_OK;
}

/* The refusal as the session's reason: kept in the note, which outlives the call. */
static int s_refuse(struct iso2_ev_cert *c, const char *what, const char *reason, const char **why)
{
    (void)snprintf(c->note, sizeof c->note, "pnc: %.40s refused: %.100s", what, reason);
    *why = strstr(c->note, "refused: ") + 9;
    return HAL_EPROTO;
}

static int s_check(struct iso2_ev *ev, const struct exi_iso2_document *d, const char **why)
{
    struct iso2_ev_cert *c = ev->cfg.cert;
    const struct exi_iso2_BodyType *b = &d->V2G_Message.Body;
    const char *what = c->update ? "CertificateUpdateRes" : "CertificateInstallationRes";
    const struct exi_iso2_CertificateChainType *sa, *cc;
    const struct exi_iso2_ContractSignatureEncryptedPrivateKeyType *ek;
    const struct exi_iso2_DiffieHellmanPublickeyType *dh;
    const struct exi_iso2_EMAIDType *em;
    if (c->update) {
        sa = &b->CertificateUpdateRes.SAProvisioningCertificateChain;
        cc = &b->CertificateUpdateRes.ContractSignatureCertChain;
        ek = &b->CertificateUpdateRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateUpdateRes.DHpublickey;
        em = &b->CertificateUpdateRes.eMAID;
    } else {
        sa = &b->CertificateInstallationRes.SAProvisioningCertificateChain;
        cc = &b->CertificateInstallationRes.ContractSignatureCertChain;
        ek = &b->CertificateInstallationRes.ContractSignatureEncryptedPrivateKey;
        dh = &b->CertificateInstallationRes.DHpublickey;
        em = &b->CertificateInstallationRes.eMAID;
    }
    /* the provider's chain, leaf first, to a V2G root the car trusts */
    size_t n = 0;
    enum x509_reason xr = x509_parse(&c->chain[0], sa->Certificate.bytes, sa->Certificate.bytesLen);
    if (xr == X509_OK) {
        n = 1;
        uint16_t ns = sa->SubCertificates_isUsed ? sa->SubCertificates.Certificate.arrayLen : 0u;
        for (uint16_t i = 0; xr == X509_OK && i < ns && n < sizeof c->chain / sizeof c->chain[0]; i++) {
            xr = x509_parse(&c->chain[n++], sa->SubCertificates.Certificate.array[i].bytes,
                            sa->SubCertificates.Certificate.array[i].bytesLen);
        }
    }
    struct x509_verdict v = {.reason = X509_OK, .index = -1, .root = -1};
    if (xr == X509_OK) {
        xr = x509_chain_validate(c->crypto, X509_ROLE_CPS, c->chain, n, c->v2g_roots, c->n_v2g_roots, c->now_s, NULL,
                                 &v);
    }
    if (xr == X509_OK && c->chain[0].pub.len != 65u) {
        xr = X509_E_KEY_TYPE;
    }
    if (xr != X509_OK) {
        char r[120];
        (void)snprintf(r, sizeof r, "SA provisioning chain: %s; certificate %d", x509_reason_text(xr), v.index);
        return s_refuse(c, what, r, why);
    }
    /* the four parts signed by that leaf */
    c->hdr = d->V2G_Message.Header;
    struct iso2_sig_check chk = {.crypto = c->crypto, .pub = c->chain[0].pub.p, .pub_len = 65, .buf = c->buf,
                                 .cap = c->cap};
    if (iso2_sig_verify(&chk, &c->hdr, b) != HAL_OK) {
        char r[120];
        (void)snprintf(r, sizeof r, "provider signature: %s", iso2_sig_error_str(chk.error));
        return s_refuse(c, what, r, why);
    }
    char emaid[CFG_EXI_ISO2_EMAIDTYPE_CONTENT_LEN + 1];
    memcpy(emaid, em->CONTENT.characters, em->CONTENT.charactersLen);
    emaid[em->CONTENT.charactersLen] = '\0';
    const struct iso2_ev_contract *k = NULL;
    const char *tw = "the new contract could not be taken";
    if (c->take == NULL || c->take(c->take_ctx, c->update, cc, ek->CONTENT.bytes, ek->CONTENT.bytesLen,
                                   dh->CONTENT.bytes, dh->CONTENT.bytesLen, emaid, &k, &tw) != HAL_OK ||
        k == NULL) {
        return s_refuse(c, what, tw, why);
    }
    ev->cfg.contract = k;
    (void)snprintf(c->note, sizeof c->note,
                   "pnc: %s: SA provisioning chain valid (root %d), signature valid, contract %s %s", what, v.root,
                   emaid, c->update ? "updated" : "installed");
    return HAL_OK;
}

int iso2_ev_cert_init(struct iso2_ev_cert *c)
{
    if (c == NULL || c->crypto == NULL || c->v2g_roots == NULL || c->n_v2g_roots == 0 || c->buf == NULL ||
        c->cap < 2048u || c->take == NULL ||
        (!c->update && (c->oem_leaf == NULL || c->oem_leaf_len == 0 ||
                        c->oem_leaf_len > CFG_EXI_ISO2_CERTIFICATEINSTALLATIONREQTYPE_OEMPROVISIONINGCERT_LEN))) {
        return HAL_EINVAL;
    }
    c->build = s_build;
    c->check = s_check;
    c->note[0] = '\0';
    return HAL_OK;
}
