// A scripted CSMS for the charger's OCPP tests, on ocpp-rpc with strict schema validation:
// everything the charge point sends must pass the OCPP 1.6 JSON schemas, or ocpp-rpc answers
// with a CALLERROR (and the test sees the charge point's retries and the log).
//
//   node csms.js --port P [--boot Accepted|Pending|Rejected] [--password PW]
//                [--probe 1] [--tx-base N] [--stop-after-ms N] [--pending-first N]
//                [--remote-stop-after-ms N]
//
// --pending-first N: the first N BootNotifications are answered Pending (interval 2 s).
// --remote-stop-after-ms N: N ms after each StartTransaction, RemoteStopTransaction for it.
//
// One JSON line per event on stdout: {"ev":"listening"|"connect"|"call"|"auth-fail"|"close",
// "action":..., "params":..., "t": ms since start}. Transaction ids count from --tx-base (1).
'use strict';
const { RPCServer, createRPCError } = require('ocpp-rpc');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
    args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}
const t0 = Date.now();
const out = (o) => process.stdout.write(JSON.stringify({ t: Date.now() - t0, ...o }) + '\n');

let boots = 0;
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
    let accepted = false;
    const log = (action, params) => out({ ev: 'call', action, params });
    client.handle('BootNotification', ({ params }) => {
        log('BootNotification', params);
        boots++;
        const pendingFirst = Number(args['pending-first'] || 0);
        const status = boots <= pendingFirst ? 'Pending' : (args.boot || 'Accepted');
        accepted = status === 'Accepted';
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
        return { idTagInfo: { status: params.idTag === 'BLOCKED' ? 'Blocked' : 'Accepted' } };
    });
    client.handle('StartTransaction', ({ params }) => {
        const transactionId = nextTx++;
        log('StartTransaction', { ...params, assigned: transactionId });
        if (args['remote-stop-after-ms'] !== undefined) {
            setTimeout(() => command('RemoteStopTransaction', { transactionId }),
                       Number(args['remote-stop-after-ms']));
        }
        return { transactionId, idTagInfo: { status: 'Accepted' } };
    });
    client.handle('StopTransaction', ({ params }) => {
        log('StopTransaction', params);
        return { idTagInfo: { status: 'Accepted' } };
    });
    client.handle('MeterValues', ({ params }) => {
        log('MeterValues', params);
        return {};
    });
    client.handle(({ method, params }) => {
        log(method, params);
        throw createRPCError('NotImplemented');
    });
    client.on('close', () => out({ ev: 'close' }));
    // Commands of the backend, answered by the charge point: the answer goes to the log too.
    const command = async (method, params) => {
        try {
            const r = await client.call(method, params);
            out({ ev: 'result', action: method, result: r });
        } catch (e) {
            out({ ev: 'error', action: method, code: e.rpcErrorCode || String(e.message) });
        }
    };
    if (args['probe'] !== undefined) {
        // after the boot: the charge point's answers to good, unknown and malformed calls
        setTimeout(async () => {
            await command('GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKey'] });
            await command('ChangeConfiguration', { key: 'NumberOfConnectors', value: '3' });
            await command('DataTransfer', { vendorId: 'acme' });
            await command('SetChargingProfile', { connectorId: 1, csChargingProfiles: { chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] } } });
            await command('RemoteStopTransaction', { transactionId: 999 });
        }, 1500);
    }
});

server.listen(Number(args.port), '127.0.0.1').then(() => out({ ev: 'listening', port: Number(args.port) }));
if (args['stop-after-ms'] !== undefined) {
    setTimeout(() => process.exit(0), Number(args['stop-after-ms']));
}
