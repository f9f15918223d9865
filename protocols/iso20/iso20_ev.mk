# ISO 15118-20 DC car machine (issue 16, item 3): its Cortex-M4 size. Included by the top
# Makefile (BUILD, Q are defined there); the charger side's fragment is iso20.mk.
#
#   make iso20-ev-size   flash/RAM of protocols/iso20/iso20_ev{,_build,_receive}.c on the Cortex-M4 (the -20
#                        codecs it uses are counted by the charger side's iso20-size)
#
# The unit tests are tests/unit/test_iso20_ev.c; the replay of the recorded -20 session is
# in the iso2_ev_replay group (tests/integration/iso2_ev.mk).

ISO20_EV_M4_OBJS := $(patsubst %.c,$(BUILD)/mps2-an386/obj/%.o,protocols/iso20/iso20_ev.c protocols/iso20/iso20_ev_build.c protocols/iso20/iso20_ev_receive.c)

.PHONY: iso20-ev-size
iso20-ev-size: $(ISO20_EV_M4_OBJS)
	$(Q)arm-none-eabi-size $^
	$(Q)arm-none-eabi-size $^ | awk 'NR>1 {t+=$$1; d+=$$2; b+=$$3} END {printf "protocols/iso20/iso20_ev{,_build,_receive}.c: %d bytes of flash (text+data), %d bytes of static RAM (data+bss); one struct iso20_ev lives with its owner (docs/iso20_ev.md)\n", t+d, d+b}'
