/* placeholder until the sweeper branch lands: no sweeper serves anything */
#include "postgres.h"
#include "booking.h"
void BookingSweeperWake(void) {}
bool BookingSweeperServesThisDatabase(void) { return false; }
