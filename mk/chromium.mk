# Debian's Chromium for the browser tests (Playwright drives it through
# executable_path; Playwright's own browser download is not used).
CHROMIUM_BIN ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: chromium

chromium: $(CHROMIUM_BIN)

$(CHROMIUM_BIN):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

TEST_DEPS += chromium
