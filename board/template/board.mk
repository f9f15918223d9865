# board/template/board.mk - the board to copy (docs/porting.md). Read by the top Makefile
# like every board/*/board.mk, with BOARD_NAME and BOARD_DIR set to this folder, so a
# copy in board/<name>/ builds as `make BOARD=<name>` with no edit here or anywhere else.
#
#   make BOARD=template     $(BUILD)/boards/template/firmware (a host executable)
#
# It builds for the HOST with the host compiler and the release core library: every
# machine that builds this project can link it (no cross toolchain needed), the bring-up
# build runs (BOARD_SMOKE_PASSES loop passes) and so proves that the stub port keeps the
# core safe. For your chip, replace the compiler, flags and link line with the cross
# ones and build the core for it as board/mps2-an386/board.mk does (its own objects under
# $(BUILD)/<name>/, its own libcore.a, startup code and linker script).
#
# Everything is named after the folder ($(BOARD_NAME)_...), because every board.mk is
# read in the same make run; recipes use only automatic variables ($@, $^), since
# BOARD_NAME has moved on to the next board when they run.

$(BOARD_NAME)_SRCS := $(sort $(wildcard $(BOARD_DIR)/*.c))
$(BOARD_NAME)_OBJS := $(call rel,$($(BOARD_NAME)_SRCS))
$(BOARD_NAME)_BIN  := $(BUILD)/boards/$(BOARD_NAME)/firmware

# Bring-up build: stop after 200 passes (board/template/main.c). Remove once the clock
# ticks and the loop is meant to run forever.
$($(BOARD_NAME)_OBJS): HOST_CFLAGS_REL += -DBOARD_SMOKE_PASSES=200

$($(BOARD_NAME)_BIN): $($(BOARD_NAME)_OBJS) $(CORE_LIB_REL)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) -o $@ $^

# What `make BOARD=<this folder>` builds.
BOARD_ALL_$(BOARD_NAME) := $($(BOARD_NAME)_BIN)
