# The MQTT API (issue 18, docs/mqtt.md): `sim --mqtt` (and `charger` with mqtt.* keys) against a real mosquitto broker on
# loopback (plain and TLS with a password file), mosquitto_sub/mosquitto_pub as the
# integrator, python3 HTTP servers for the firmware download and a recording stand-in for
# `rauc install`.
#
#   make integration-mqtt      the test (PASS/FAIL lines, FIGURE lines, "N passed, N failed")

DEPS_TEST += mosquitto mosquitto-clients openssl python3

INTEGRATION_TESTS += mqtt
.PHONY: integration-mqtt
integration-mqtt: $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger | $(DEPS_STAMP_TEST)
	$(Q)tests/integration/mqtt_test.sh $(BUILD)/san/bin/sim $(BUILD)/san/bin/charger
