"""Default capacities of the generated document structs.

Bounded schema limits (maxOccurs, maxLength) are used as they are unless a
line below tightens them; unbounded ones take the defaults. Every default was
chosen so that every message of the shared vector catalog fits (the vector
test fails loudly with an EXI bound error otherwise), and each is a
CFG_EXI_<SCHEMA>_<TYPE>_<FIELD> macro that a board may override.
Keys: (schema, type name, field name); type name '*' matches any type.
"""

UNBOUNDED_ARRAY = 4        # arrays without maxOccurs limit
GROUP_ARRAY = 1            # items of repeated xmldsig choices (KeyInfo, X509Data, ...)
UNBOUNDED_STRING = 64      # characters (stored as UTF-8 bytes) without maxLength
UNBOUNDED_BINARY = 64      # octets without maxLength

ARRAY = {
    # xmldsig: the -2 certificate messages sign 4 references; Object is
    # wildcard content that V2G never sends
    ('*', 'SignedInfoType', 'Reference'): 4,
    ('din', 'SignedInfoType', 'Reference'): 1,
    ('*', 'TransformsType', 'Transform'): 1,
    ('*', 'SignatureType', 'Object'): 1,
    # DIN: certificate chains are not used with EIM (DIN SPEC 70121 is EIM-only)
    ('din', 'SubCertificatesType', 'Certificate'): 1,
    ('din', 'ListOfRootCertificateIDsType', 'RootCertificateID'): 2,
    ('din', 'SAScheduleListType', 'SAScheduleTuple'): 3,
    ('din', 'PMaxScheduleType', 'PMaxScheduleEntry'): 12,
    ('din', 'SalesTariffType', 'SalesTariffEntry'): 6,
    ('din', 'SalesTariffEntryType', 'ConsumptionCost'): 1,
    ('din', 'ConsumptionCostType', 'Cost'): 1,
    ('din', 'ParameterSetType', 'Parameter'): 4,
    ('din', 'ServiceParameterListType', 'ParameterSet'): 2,
    ('din', 'ProfileType', 'ProfileEntry'): 24,
    ('din', 'PaymentOptionsType', 'PaymentOption'): 2,
    ('din', 'ServiceTagListType', 'Service'): 4,
    ('din', 'SelectedServiceListType', 'SelectedService'): 4,
    # ISO 15118-2
    ('iso2', 'PMaxScheduleType', 'PMaxScheduleEntry'): 24,
    ('iso2', 'SalesTariffType', 'SalesTariffEntry'): 12,
    ('iso2', 'ServiceParameterListType', 'ParameterSet'): 4,
    ('iso2', 'ParameterSetType', 'Parameter'): 8,
    ('iso2', 'ListOfRootCertificateIDsType', 'RootCertificateID'): 5,
    # ISO 15118-20
    ('*', 'PowerScheduleEntryListType', 'PowerScheduleEntry'): 24,
    ('*', 'PriceLevelScheduleEntryListType', 'PriceLevelScheduleEntry'): 24,
    ('*', 'PriceRuleStackListType', 'PriceRuleStack'): 4,
    ('*', 'PriceRuleStackType', 'PriceRule'): 4,
    ('*', 'TaxRuleListType', 'TaxRule'): 4,
    ('*', 'EVPowerProfileEntryListType', 'EVPowerProfileEntry'): 24,
    ('*', 'EVPowerScheduleEntryListType', 'EVPowerScheduleEntry'): 24,
    ('*', 'EVPriceRuleStackListType', 'EVPriceRuleStack'): 4,
    ('*', 'EVPriceRuleStackType', 'EVPriceRule'): 4,
    ('*', 'SupportedProvidersListType', 'ProviderID'): 16,
    ('*', 'ServiceParameterListType', 'ParameterSet'): 4,
    ('iso20', 'ParameterSetType', 'Parameter'): 8,
    ('iso20', 'SubCertificatesType', 'Certificate'): 3,
    ('*', 'EMAIDListType', 'EMAID'): 4,
    ('*', 'ReceiptType', 'TaxCosts'): 4,
}

STRING = {
    # xmldsig (the same in every set); anything longer fails loudly
    ('*', 'X509IssuerSerialType', 'X509IssuerName'): 128,
    ('*', '*', 'Algorithm'): 64,
    ('*', 'ReferenceType', 'URI'): 32,
    ('*', 'ReferenceType', 'Type'): 32,
    ('*', 'SignatureType', 'Id'): 32,
    ('*', 'SignedInfoType', 'Id'): 32,
    ('*', 'ReferenceType', 'Id'): 32,
    ('*', 'SignatureValueType', 'Id'): 32,
    ('*', 'KeyInfoType', 'Id'): 32,
    ('*', 'ObjectType', 'Id'): 32,
    ('*', 'ObjectType', 'MimeType'): 16,
    ('*', 'ObjectType', 'Encoding'): 16,
    ('*', 'KeyInfoType', 'KeyName'): 32,
    ('*', 'KeyInfoType', 'MgmtData'): 16,
    ('*', 'RetrievalMethodType', 'URI'): 32,
    ('*', 'RetrievalMethodType', 'Type'): 16,
    ('*', 'TransformType', 'XPath'): 32,
    ('*', 'X509DataType', 'X509SubjectName'): 64,
}

# KeyInfo contents (DSA/RSA key values, X509Data, PGP, SPKI) are legal but not
# used by V2G stacks (keys travel as certificates in the message bodies), so
# they get token capacities; a board that needs them raises the macros.
_KEYINFO = 16
BINARY = {
    # DIN SPEC 70121 is EIM-only in practice: certificates get 800 octets (the
    # ISO 15118-2 limit) instead of the schema's 1200 to keep the document < 4 kB
    ('din', 'CertificateChainType', 'Certificate'): 800,
    ('din', 'SubCertificatesType', 'Certificate'): 800,
    ('*', 'SignatureValueType', 'CONTENT'): 64,
    ('iso20', 'SignatureValueType', 'CONTENT'): 132,
    ('iso20_dc', 'SignatureValueType', 'CONTENT'): 132,
    ('iso20_ac', 'SignatureValueType', 'CONTENT'): 132,
    ('*', 'ReferenceType', 'DigestValue'): 64,
    ('*', 'DSAKeyValueType', '*'): _KEYINFO,
    ('*', 'RSAKeyValueType', '*'): _KEYINFO,
    ('*', 'X509DataType', '*'): _KEYINFO,
    ('*', 'PGPDataType', '*'): _KEYINFO,
    ('*', 'SPKIDataType', '*'): _KEYINFO,
}


def lookup(table, schema, tname, field, default):
    for key in ((schema, tname, field), ('*', tname, field), (schema, tname, '*'), ('*', tname, '*'),
                (schema, '*', field), ('*', '*', field)):
        if key in table:
            return table[key]
    return default
