#!/bin/sh
# mem-report.sh ELF - flash and RAM use of an mps2-an386 image, from
# arm-none-eabi-size (sections) and arm-none-eabi-nm (the region sizes the
# linker script used). Prints one summary line and one breakdown line.
set -eu
elf=$1
SIZE=${SIZE:-arm-none-eabi-size}
NM=${NM:-arm-none-eabi-nm}

sym() { # value of an absolute linker symbol, in decimal
    v=$($NM "$elf" | awk -v s="$1" '$3 == s { print $1; exit }')
    [ -n "$v" ] || { echo "mem-report: symbol $1 missing in $elf" >&2; exit 1; }
    echo $((0x$v))
}
flash_cap=$(sym an386_flash_size)
ram_cap=$(sym an386_ram_size)

# size -A -d: "section size addr" rows.
code=0 data=0 bss=0 stack=0
eval "$($SIZE -A -d "$elf" | awk '
    $1 ~ /^\.(isr_vector|text|rodata|ARM\.extab|ARM\.exidx|preinit_array|init_array|fini_array)$/ { code += $2 }
    $1 == ".data"  { data = $2 }
    $1 == ".bss"   { bss = $2 }
    $1 == ".stack" { stack = $2 }
    END { printf "code=%d data=%d bss=%d stack=%d\n", code, data, bss, stack }')"

flash=$((code + data))            # .data initialisers live in flash too
ram_static=$((data + bss))
ram=$((ram_static + stack))
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }

printf '%s\n' "$(basename "$elf"):"
printf '  flash: %d B of %d (%s %%)  ram: %d B static + %d B stack of %d (%s %%)\n' \
    "$flash" "$flash_cap" "$(pct "$flash" "$flash_cap")" \
    "$ram_static" "$stack" "$ram_cap" "$(pct "$ram" "$ram_cap")"
printf '  (code+const %d, .data %d [in flash and RAM], .bss %d, stack reserved %d)\n' \
    "$code" "$data" "$bss" "$stack"
