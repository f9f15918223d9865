#!/usr/bin/python3
"""Third-party Modbus peers for the meter integration test (pymodbus 3.0, Debian).

  meter_pymodbus.py plain (tcp PORT | rtu DEV)   holding registers 0..1999 = 1000 + i
  meter_pymodbus.py em580 (tcp PORT | rtu DEV)   an EM580 register map: identification,
      key, live block, energy, and 'B'/'E'/confirm on the OCMF registers with a fixed record

zero_mode=True: block index 0 is wire address 0 (pymodbus 3.0 is off by one otherwise).
"""
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer

N = 0x8000


def pack(s, words):
    b = s.encode() + b"\0" * (2 * words)
    return [b[2 * i] << 8 | b[2 * i + 1] for i in range(words)]


def unpack(regs):
    out = bytearray()
    for w in regs:
        out += bytes([w >> 8, w & 0xFF])
    return out.split(b"\0")[0].decode(errors="replace")


class Em580Block(ModbusSequentialDataBlock):
    """One map for FC04 and FC16 (as on the EM580), with the OCMF command logic."""

    def __init__(self):
        super().__init__(0, [0] * N)
        v = self.values
        v[0x000B] = 120
        for p in range(3):
            v[0x0000 + 2 * p] = 2300
            v[0x000C + 2 * p] = 8000
            v[0x0012 + 2 * p] = 18400
        v[0x0028] = 55200 & 0xFFFF
        v[0x0029] = 55200 >> 16
        v[0x0032] = 1
        v[0x0033] = 500
        v[0x0500] = 0x4567
        v[0x0501] = 0x0123  # 0x01234567 Wh
        v[0x24FF] = 0
        v[0x2500] = 0x0411
        for i in range(1, 33):
            v[0x2500 + i] = 0x1111
        v[0x2500 + 32] = 0x1100
        v[0x5000:0x5007] = pack("PYMODBUS00001", 7)

    def getValues(self, address, count=1):
        if address == 0x000B and count != 1:
            self.values[0x000B] = 4000
        else:
            self.values[0x000B] = 120
        return super().getValues(address, count)

    def setValues(self, address, values):
        super().setValues(address, values)
        v = self.values
        if address == 0x7040:
            if v[0x7040] == ord("B") and v[0x7100] == 0:
                v[0x7100] = 1
            elif v[0x7040] == ord("E") and v[0x7100] == 1:
                tt = unpack(v[0x6900:0x6900 + 126])
                rec = ('OCMF|{"FV":"1.2","PG":"T1","MS":"PYMODBUS00001","IS":true,"IT":"ISO14443",'
                       '"TT":"%s","RD":[{"TM":"2026-01-01T00:00:00,000+0000 S","TX":"B","RV":1.000,'
                       '"RU":"kWh","ST":"G"},{"TM":"2026-01-01T00:10:00,000+0000 S","TX":"E",'
                       '"RV":2.000,"ST":"G"}]}|{"SA":"ECDSA-brainpoolP256r1-SHA256","SD":"%s"}'
                       % (tt, "11" * 64))
                words = (len(rec) + 2) // 2
                v[0x7110:0x7110 + words] = pack(rec, words)
                v[0x7101] = words
                v[0x7100] = 2


def main():
    kind, transport, where = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "plain":
        block = ModbusSequentialDataBlock(0, [1000 + i for i in range(2000)])
        store = ModbusSlaveContext(hr=block, ir=block, zero_mode=True)
    else:
        block = Em580Block()
        store = ModbusSlaveContext(hr=block, ir=block, zero_mode=True)
    # Unit 1 only; requests to other units go unanswered (a timeout for the master).
    context = ModbusServerContext(slaves={1: store}, single=False)
    if transport == "tcp":
        StartTcpServer(context=context, address=("127.0.0.1", int(where)),
                       ignore_missing_slaves=True)
    else:
        StartSerialServer(context=context, framer=ModbusRtuFramer, port=where,
                          baudrate=19200, timeout=0.05, ignore_missing_slaves=True)


if __name__ == "__main__":
    main()
