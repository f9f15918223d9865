/* The names of the output-voltage sources (charger.h), on their own so that the
 * configuration readers (boardlib/board_config.c and its fuzz harness) can name them
 * without linking the whole session manager. */
#include "charger.h"

const char *charger_vsource_name(enum charger_vsource s)
{
    static const char *const names[CHARGER_VSRC_COUNT] = {"none", "ovm", "imd", "meter", "stage"};
    return (unsigned)s < CHARGER_VSRC_COUNT ? names[s] : "?";
}
