// A scripted CSMS for the charger's OCPP tests, on ocpp-rpc with strict schema validation:
// everything the charge point sends must pass the OCPP 1.6 JSON schemas, or ocpp-rpc answers
// with a CALLERROR (and the test sees the charge point's retries and the log).
//
//   node csms.js --port P [OPTIONS]                  one CSMS, events on stdout
//   node csms.js --serve LOG --port P [OPTIONS] [--serve LOG2 --port P2 [OPTIONS]] ...
//                several CSMSs in one process (loading ocpp-rpc's schemas costs about 1.5 s
//                of CPU per process), each with its own options and event file
//
// OPTIONS: [--boot Accepted|Pending|Rejected] [--password PW] [--probe 1] [--tx-base N]
//          [--stop-after-ms N] [--pending-first N] [--remote-stop-after-ms N]
//          [--availability-after-ms N] [--refuse-first-start 1] [--hostile 1]
//          [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--remote-start-ms N]
//          [--profile-after-ms N] [--aligned-s N] [--commands FILE] [--reserve-start 1]
//          [--reset-after-ms N --reset-type Soft|Hard] [--start-invalid-first 1]
//
// --pending-first N: the first N BootNotifications are answered Pending (interval 2 s).
// --remote-stop-after-ms N: N ms after each StartTransaction, RemoteStopTransaction for it.
// --availability-after-ms N: N ms after the first StartTransaction, ChangeAvailability of
//     connector 1 to Inoperative (the charge point must schedule it after the session).
// --remote-start-ms N: N ms after the first accepted boot, RemoteStartTransaction of
//     connector 1 for idTag REMOTE1.
// --profile-after-ms N: N ms after the first StartTransaction, a TxProfile for it (Relative,
//     10 kW, stack level 0) by SetChargingProfile, then GetCompositeSchedule of its connector
//     for 60 s in W.
// --reserve-start 1: after the first accepted boot, ChangeConfiguration StartTxnSampledData
//     Energy.Active.Import.Register, ReserveNow of connector 1 for RESV1 (reservation 9), then
//     RemoteStartTransaction of connector 1 for RESV1 with a TxProfile (Relative, 10 kW, id 21);
//     after its StartTransaction, CancelReservation 9 (consumed: Rejected) and
//     GetCompositeSchedule of connector 1 for 60 s in W. StopTransaction waits for all that.
// --reset-after-ms N --reset-type Soft|Hard: N ms after the first StartTransaction, Reset of
//     that type (the charge point stops the transaction, boots again, charges on).
// --start-invalid-first 1: the first StartTransaction is answered with idTagInfo Invalid
//     (StopTransactionOnInvalidId: the charge point stops it, reason DeAuthorized).
// Authorize: idTag INVALID is answered Invalid, BLOCKED Blocked, EXPIRED Expired, any other
//     Accepted.
// --refuse-first-start 1: the first StartTransaction is answered with a CALLERROR
//     (InternalError); logged as "refused-call".
// --profiles 1: after the first accepted boot: ReserveNow for connector 1 with idTag REMOTE1
//     as reservation 7 and, when Accepted, a RemoteStart of another tag; a second reservation
//     there, ReserveNow for connector 0, an unknown CancelReservation, the Local Auth List
//     (SendLocalList full and differential, a version mismatch, GetLocalListVersion), and
//     reservation 7 cancelled. StopTransaction is answered only once all that is done.
// --persist-set 1: after the boot, ChangeConfiguration ConnectionTimeOut 77 and
//     MeterValueSampleInterval 1, a TxDefaultProfile of 31.5 A on connector 0 (id 61), and a
//     full local list of version 3; --persist-get 1: after the boot, the profile's composite
//     schedule of connector 1 (60 s in A), the key and the list version read back (a restart
//     between).
// --aligned-s N: after the first accepted boot, ChangeConfiguration ClockAlignedDataInterval N
//     (clock-aligned MeterValues, context Sample.Clock).
// --hostile 1: after the boot, frames no schema allows: malformed JSON, an unknown action, a
//     payload against the schema, then a message larger than the charge point takes.
//
// --tls-cert/--tls-key: wss:// (TLS) with this server certificate; --tls-client-ca: a client
//     certificate issued by that CA is required (security profile 3). A handshake that fails
//     is logged as "tls-error".
// --certs DIR: after the first accepted boot, certificate management (certFlow below):
//     ExtendedTriggerMessage SignChargePointCertificate, the CSR signed with DIR/ca.pem +
//     ca.key (openssl, DIR/signed.ext, serial 0x5EC0DE); a CertificateSigned of
//     DIR/foreign.pem (another key), then of the signed one; InstallCertificate of
//     DIR/inst.pem, GetInstalledCertificateIds, DeleteCertificate of what it listed, the list
//     again; then the connection is closed. StopTransaction waits for all that once
//     SignCertificate came. Each TLS connection's client certificate serial is logged as
//     "tls-peer".
//
// One JSON line per event: {"ev":"listening"|"connect"|"call"|"refused-call"|"auth-fail"|
// "close"|"result"|"error"|"raw-answer", "action":..., "params":..., "t": ms since start}.
// Transaction ids count from --tx-base (1).
// --commands FILE: after the first accepted boot, the CALLs of FILE (a JSON array of
//     {"method", "params"}) one after the other, each answer logged; a string "NOW" in the
//     params becomes the present time; an entry with "after": "Action status[#requestId]" waits
//     for that notification instead (firmwareCommands). The firmware, diagnostics, log and security
//     notifications are answered (Firmware Management tests, boardlib/board_ocpp_fw.c).
'use strict';
const fs = require('fs');
const https = require('https');
const { execFileSync } = require('child_process');
const { RPCServer, createRPCError } = require('ocpp-rpc');

const t0 = Date.now();

// argv -> groups of options; a group per --serve (or one group writing to stdout)
const groups = [];
let cur = null;
for (let i = 2; i < process.argv.length; i += 2) {
    const k = process.argv[i].replace(/^--/, '');
    const v = process.argv[i + 1];
    if (k === 'serve') {
        cur = { log: v };
        groups.push(cur);
        continue;
    }
    if (cur === null) {
        cur = { log: null };
        groups.push(cur);
    }
    cur[k] = v;
}

function serve(args) {
    const out = (o) => {
        const line = JSON.stringify({ t: Date.now() - t0, ...o }) + '\n';
        if (args.log) {
            fs.appendFileSync(args.log, line);
        } else {
            process.stdout.write(line);
        }
    };
    let boots = 0;
    let starts = 0;
    let probed = false;
    let hostileDone = false;
    let availabilityDone = false;
    let remoteStarted = false;
    let profileDone = false;
    let profilesDone = null;
    let alignedSet = false;
    let reserveDone = null;     // --reserve-start: the whole flow
    let reserveStarted = null;  // resolves it past its StartTransaction
    let nextTx = args['tx-base'] !== undefined ? Number(args['tx-base']) : 1;
    const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });

    server.auth((accept, reject, handshake) => {
        if (args.password !== undefined) {
            const pw = handshake.password ? handshake.password.toString() : '';
            if (pw !== args.password) {
                out({ ev: 'auth-fail', identity: handshake.identity });
                reject(401);
                return;
            }
        }
        accept({});
    });

    server.on('client', (client) => {
        out({ ev: 'connect', identity: client.identity });
        const log = (action, params) => out({ ev: 'call', action, params });
        // Commands of the backend, answered by the charge point: the answer goes to the log too.
        const command = async (method, params) => {
            try {
                const r = await client.call(method, params);
                out({ ev: 'result', action: method, result: r });
                return r;
            } catch (e) {
                out({ ev: 'error', action: method, code: e.rpcErrorCode || String(e.message) });
                return undefined;
            }
        };
        const expiry = (s) => new Date(Date.now() + s * 1000).toISOString();
        // --profiles: Reservation and Local Auth List; the StopTransaction waits for the end
        // of it, so the simulator (which ends once its queue is delivered) hears all of it
        const profiles = async () => {
            // the reservation first: the simulated car plugs in about 1 s after its start
            const r = await command('ReserveNow', { connectorId: 1, expiryDate: expiry(300), idTag: 'REMOTE1', reservationId: 7 });
            const held = r && r.status === 'Accepted';
            if (held) {
                await command('RemoteStartTransaction', { connectorId: 1, idTag: 'OTHER' });
            }
            await command('ReserveNow', { connectorId: 1, expiryDate: expiry(300), idTag: 'OTHER', reservationId: 8 });
            await command('ReserveNow', { connectorId: 0, expiryDate: expiry(300), idTag: 'REMOTE1', reservationId: 6 });
            await command('CancelReservation', { reservationId: 99 });
            await command('SendLocalList', { listVersion: 1, updateType: 'Full', localAuthorizationList: [
                { idTag: 'LIST1', idTagInfo: { status: 'Accepted' } },
                { idTag: 'LIST2', idTagInfo: { status: 'Blocked', parentIdTag: 'FLEET' } }] });
            await command('GetLocalListVersion', {});
            await command('SendLocalList', { listVersion: 1, updateType: 'Differential',
                                             localAuthorizationList: [{ idTag: 'LIST3', idTagInfo: { status: 'Accepted' } }] });
            await command('SendLocalList', { listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: 'LIST1' }] });
            await command('GetLocalListVersion', {});
            if (held) {
                await command('CancelReservation', { reservationId: 7 });
            }
        };
        // Frames sent raw (no schema would let them out): the charge point's answer by id.
        const rawWaits = new Map();
        client.on('message', ({ message, outbound }) => {
            if (outbound) {
                return;
            }
            let m;
            try {
                m = JSON.parse(message.toString());
            } catch (e) {
                return;
            }
            if (Array.isArray(m) && rawWaits.has(m[1])) {
                out({ ev: 'raw-answer', id: m[1], frame: m });
                rawWaits.get(m[1])();
                rawWaits.delete(m[1]);
            }
        });
        const raw = (id, text, waitMs) => new Promise((resolve) => {
            if (id !== null) {
                rawWaits.set(id, resolve);
            }
            client.sendRaw(text);
            setTimeout(resolve, waitMs);
        });
        client.handle('BootNotification', ({ params }) => {
            log('BootNotification', params);
            boots++;
            const pendingFirst = Number(args['pending-first'] || 0);
            const status = boots <= pendingFirst ? 'Pending' : (args.boot || 'Accepted');
            if (status === 'Accepted' && args['remote-start-ms'] !== undefined && !remoteStarted) {
                remoteStarted = true;
                setTimeout(() => command('RemoteStartTransaction', { connectorId: 1, idTag: 'REMOTE1' }),
                           Number(args['remote-start-ms']));
            }
            if (status === 'Accepted' && args['reserve-start'] !== undefined && reserveDone === null) {
                const startSeen = new Promise((resolve) => { reserveStarted = resolve; });
                reserveDone = (async () => {
                    await new Promise((resolve) => setTimeout(resolve, 1)); // after the boot's answer
                    await command('ChangeConfiguration', { key: 'StartTxnSampledData', value: 'Energy.Active.Import.Register' });
                    await command('ReserveNow', { connectorId: 1, expiryDate: expiry(300), idTag: 'RESV1', reservationId: 9 });
                    await command('RemoteStartTransaction', { connectorId: 1, idTag: 'RESV1', chargingProfile: {
                        chargingProfileId: 21, stackLevel: 0, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
                        chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 10000 }] } } });
                    await startSeen;
                    await command('CancelReservation', { reservationId: 9 });
                    await command('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'W' });
                })();
            }
            if (status === 'Accepted' && args.profiles !== undefined && profilesDone === null) {
                profilesDone = new Promise((resolve) => setTimeout(() => profiles().then(resolve), 1));
            }
            if (status === 'Accepted' && args['persist-set'] !== undefined) {
                setTimeout(async () => {
                    await command('ChangeConfiguration', { key: 'ConnectionTimeOut', value: '77' });
                    await command('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '1' });
                    await command('SetChargingProfile', { connectorId: 0, csChargingProfiles: {
                        chargingProfileId: 61, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile',
                        chargingProfileKind: 'Absolute',
                        chargingSchedule: { startSchedule: '2020-01-01T00:00:00Z', chargingRateUnit: 'A',
                                            chargingSchedulePeriod: [{ startPeriod: 0, limit: 31.5 }] } } });
                    await command('SendLocalList', { listVersion: 3, updateType: 'Full',
                                                     localAuthorizationList: [{ idTag: 'KEPT', idTagInfo: { status: 'Accepted' } }] });
                }, 1);
            }
            if (status === 'Accepted' && args['persist-get'] !== undefined) {
                setTimeout(async () => {
                    await command('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'A' });
                    await command('GetConfiguration', { key: ['ConnectionTimeOut'] });
                    await command('GetLocalListVersion', {});
                }, 1);
            }
            certsStart(args, status, client, command, out);
            if (status === 'Accepted' && args['aligned-s'] !== undefined && !alignedSet) {
                alignedSet = true;
                setTimeout(() => command('ChangeConfiguration', { key: 'ClockAlignedDataInterval', value: String(args['aligned-s']) }), 1);
            }
            return { status, currentTime: new Date().toISOString(), interval: status === 'Accepted' ? 300 : 2 };
        });
        client.handle('Heartbeat', ({ params }) => {
            log('Heartbeat', params);
            return { currentTime: new Date().toISOString() };
        });
        client.handle('StatusNotification', ({ params }) => {
            log('StatusNotification', params);
            return {};
        });
        client.handle('Authorize', ({ params }) => {
            log('Authorize', params);
            const st = { BLOCKED: 'Blocked', INVALID: 'Invalid', EXPIRED: 'Expired' }[params.idTag] || 'Accepted';
            return { idTagInfo: { status: st } };
        });
        client.handle('StartTransaction', ({ params }) => {
            starts++;
            if (args['refuse-first-start'] !== undefined && starts === 1) {
                out({ ev: 'refused-call', action: 'StartTransaction', params });
                throw createRPCError('InternalError', 'refused on purpose (test)');
            }
            const transactionId = nextTx++;
            log('StartTransaction', { ...params, assigned: transactionId });
            if (reserveStarted !== null) {
                reserveStarted();
            }
            if (args['remote-stop-after-ms'] !== undefined) {
                setTimeout(() => command('RemoteStopTransaction', { transactionId }),
                           Number(args['remote-stop-after-ms']));
            }
            if (args['availability-after-ms'] !== undefined && !availabilityDone) {
                availabilityDone = true;
                setTimeout(() => command('ChangeAvailability', { connectorId: 1, type: 'Inoperative' }),
                           Number(args['availability-after-ms']));
            }
            if (args['reset-after-ms'] !== undefined && starts === 1) {
                setTimeout(() => command('Reset', { type: args['reset-type'] || 'Soft' }), Number(args['reset-after-ms']));
            }
            if (args['profile-after-ms'] !== undefined && !profileDone) {
                profileDone = true;
                setTimeout(async () => {
                    await command('SetChargingProfile', { connectorId: params.connectorId, csChargingProfiles: {
                        chargingProfileId: 17, transactionId, stackLevel: 0, chargingProfilePurpose: 'TxProfile',
                        chargingProfileKind: 'Relative', chargingSchedule: { chargingRateUnit: 'W',
                            chargingSchedulePeriod: [{ startPeriod: 0, limit: 10000 }] } } });
                    await command('GetCompositeSchedule', { connectorId: params.connectorId, duration: 60, chargingRateUnit: 'W' });
                }, Number(args['profile-after-ms']));
            }
            const invalid = args['start-invalid-first'] !== undefined && starts === 1;
            return { transactionId, idTagInfo: { status: invalid ? 'Invalid' : 'Accepted' } };
        });
        client.handle('StopTransaction', async ({ params }) => {
            if (profilesDone !== null) {
                await profilesDone;
            }
            if (reserveDone !== null) {
                await reserveDone;
            }
            await certsWait(args);
            log('StopTransaction', params);
            return { idTagInfo: { status: 'Accepted' } };
        });
        client.handle('MeterValues', ({ params }) => {
            log('MeterValues', params);
            return {};
        });
        certsHandlers(args, client, log);
        client.handle(({ method, params }) => {
            log(method, params);
            throw createRPCError('NotImplemented');
        });
        if (args.commands !== undefined) {
            firmwareCommands(args, client, log, command);
        }
        client.on('close', () => out({ ev: 'close' }));
        if (args.probe !== undefined && !probed) {
            probed = true;
            // after the boot: the charge point's answers to good, unknown and malformed calls
            setTimeout(async () => {
                await command('GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKey'] });
                await command('ChangeConfiguration', { key: 'NumberOfConnectors', value: '3' });
                await command('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '30' });
                await command('GetConfiguration', { key: ['MeterValueSampleInterval'] });
                await command('DataTransfer', { vendorId: 'acme' });
                await command('SetChargingProfile', { connectorId: 1, csChargingProfiles: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] } } });
                await command('RemoteStopTransaction', { transactionId: 999 });
            }, 1500);
        }
        if (args.hostile !== undefined && !hostileDone) {
            hostileDone = true;
            setTimeout(async () => {
                await raw(null, '[2,"h1","Heartbeat",{', 500);                 // malformed JSON
                await raw('h2', '[2,"h2","FooBar",{}]', 3000);                 // unknown action
                await raw('h3', '[2,"h3","Reset",{"type":"Sideways"}]', 3000);  // against the schema
                await raw('h4', '[2,"h4","Reset",{}]', 3000);                   // a required field missing
                await command('GetConfiguration', { key: ['HeartbeatInterval'] }); // still talking?
                // larger than the charge point's receive buffer: it closes (1009) and reconnects
                await raw(null, '[2,"h5","DataTransfer",{"vendorId":"x","data":"' + 'A'.repeat(20000) + '"}]', 500);
            }, 1500);
        }
    });

    if (args['tls-cert'] !== undefined) {
        const mtls = args['tls-client-ca'] !== undefined;
        const hs = https.createServer({
            cert: fs.readFileSync(args['tls-cert']),
            key: fs.readFileSync(args['tls-key']),
            ca: mtls ? fs.readFileSync(args['tls-client-ca']) : undefined,
            requestCert: mtls,
            rejectUnauthorized: mtls,
            minVersion: 'TLSv1.2',
        });
        hs.on('tlsClientError', (e) => out({ ev: 'tls-error', code: e.code || String(e.message) }));
        if (args.certs !== undefined) {
            hs.on('secureConnection', (s) => out({ ev: 'tls-peer', serial: (s.getPeerCertificate() || {}).serialNumber }));
        }
        hs.on('upgrade', server.handleUpgrade);
        hs.listen(Number(args.port), '127.0.0.1', () => out({ ev: 'listening', port: Number(args.port) }));
    } else {
        server.listen(Number(args.port), '127.0.0.1').then(() => out({ ev: 'listening', port: Number(args.port) }));
    }
    if (args['stop-after-ms'] !== undefined) {
        setTimeout(() => process.exit(0), Number(args['stop-after-ms']));
    }
}

// ---- --certs: the security whitepaper's certificate management (one block, see the top)
// StopTransaction waits for the flow only once SignCertificate came (else it would wait
// for a CALL the charge point cannot send while its StopTransaction is unanswered)
function certsWait(args) {
    return args._signSeen ? args._certsDone : Promise.resolve();
}

function certsHandlers(args, client, log) {
    if (args.certs === undefined) {
        return;
    }
    const dir = args.certs;
    client.handle('SignCertificate', ({ params }) => {
        log('SignCertificate', params);
        args._signSeen = true;
        fs.writeFileSync(dir + '/cp.csr', params.csr);
        // Valid from an hour ago, as public CAs backdate: the charge point's clock comes from
        // this CSMS's currentTime and may lag it by a second on a loaded machine, and a
        // certificate valid from "now" was then refused as not yet valid. `openssl x509 -req`
        // (OpenSSL 3.0) cannot set the start date; `openssl ca` can (a throw-away database).
        const asn1 = (ms) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
        fs.writeFileSync(dir + '/ca.cnf', `[ca]\ndefault_ca=t\n[t]\ndatabase=${dir}/index.txt\nnew_certs_dir=${dir}\n` +
            `serial=${dir}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n` +
            'organizationName=optional\n');
        fs.writeFileSync(dir + '/index.txt', '');
        fs.writeFileSync(dir + '/serial', '5EC0DE\n');
        try {
            execFileSync('openssl', ['ca', '-batch', '-config', dir + '/ca.cnf', '-cert', dir + '/ca.pem', '-keyfile',
                                     dir + '/ca.key', '-in', dir + '/cp.csr', '-startdate', asn1(Date.now() - 3600e3),
                                     '-enddate', asn1(Date.now() + 30 * 86400e3), '-extfile', dir + '/signed.ext',
                                     '-notext', '-preserveDN', '-out', dir + '/cp-signed.pem'], { stdio: 'ignore' });
        } catch (e) {
            out_err(args, 'openssl could not sign the CSR: ' + e.message);
            return { status: 'Rejected' };
        }
        // CertificateSigned goes after this answer reached the charge point
        setTimeout(() => args._csr && args._csr(fs.readFileSync(dir + '/cp-signed.pem', 'utf8')), 300);
        return { status: 'Accepted' };
    });
    client.handle('SecurityEventNotification', ({ params }) => {
        log('SecurityEventNotification', params);
        return {};
    });
}

// --commands: Firmware Management (the notifications answered, the scripted CALLs after the
// first accepted boot)
function firmwareCommands(args, client, log, command) {
    const now = (v) => (v === 'NOW' ? new Date().toISOString()
        : Array.isArray(v) ? v.map(now)
            : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, now(x)])) : v);
    const all = JSON.parse(fs.readFileSync(args.commands, 'utf8'));
    // Entries with "after": "Action status[#requestId]" are sent when that notification comes,
    // before it is answered: the charge point answers our CALL meanwhile (its own CALL stays
    // outstanding), so the next job is running before the last one's notification is confirmed
    // and the simulator, which ends once nothing is left, is still there. Each fires once.
    if (args.afterLeft === undefined) {
        args.afterLeft = all.filter((c) => c.after !== undefined);
    }
    for (const a of ['FirmwareStatusNotification', 'DiagnosticsStatusNotification', 'SignedFirmwareStatusNotification',
                     'LogStatusNotification', 'SecurityEventNotification']) {
        client.handle(a, async ({ params }) => {
            log(a, params);
            const key = a + ' ' + (params.status || params.type) + (params.requestId !== undefined ? '#' + params.requestId : '');
            const due = args.afterLeft.filter((c) => c.after === key);
            args.afterLeft = args.afterLeft.filter((c) => c.after !== key);
            for (const c of due) {
                await command(c.method, now(c.params));
            }
            return {};
        });
    }
    if (args.commandsSent) {
        return;
    }
    args.commandsSent = true;
    const list = all.filter((c) => c.after === undefined);
    // after the boot's answer: the BootNotification handler has run once the first status comes
    let started = false;
    client.handle('StatusNotification', ({ params }) => {
        log('StatusNotification', params);
        if (!started) {
            started = true;
            setTimeout(async () => {
                for (const c of list) {
                    await command(c.method, now(c.params));
                }
            }, 1);
        }
        return {};
    });
}

function out_err(args, text) {
    fs.appendFileSync(args.log || '/dev/stderr', JSON.stringify({ ev: 'certs-error', text }) + '\n');
}

function certsStart(args, status, client, command, out) {
    if (args.certs === undefined || status !== 'Accepted' || args._certsDone) {
        return;
    }
    args._certsDone = new Promise((resolve) => setTimeout(() => certFlow(args, client, command, out).then(resolve), 1));
}

async function certFlow(args, client, command, out) {
    const dir = args.certs;
    const read = (f) => fs.readFileSync(dir + '/' + f, 'utf8');
    // the renewal first: SignCertificate must go out while the session runs (the charge
    // point has one CALL outstanding at a time, and a held StopTransaction would block it)
    const chain = new Promise((resolve) => {
        args._csr = resolve;
        setTimeout(() => resolve(null), 60000);
    });
    await command('ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' });
    const signed = await chain;
    if (signed === null) {
        out({ ev: 'certs-error', text: 'no SignCertificate within 60 s' });
        return;
    }
    await command('CertificateSigned', { certificateChain: read('foreign.pem') });
    await command('CertificateSigned', { certificateChain: signed });
    await command('InstallCertificate', { certificateType: 'CentralSystemRootCertificate', certificate: read('inst.pem') });
    const ids = await command('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    if (ids && ids.certificateHashData) {
        await command('DeleteCertificate', { certificateHashData: ids.certificateHashData[0] });
    }
    await command('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    out({ ev: 'certs-close' });
    client.close({ code: 1000 });
}

groups.forEach(serve);
