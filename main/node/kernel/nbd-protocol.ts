/**
 * Constants of the NBD protocol (https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md):
 * the fixed newstyle handshake, options, and the simple-reply transmission phase.
 */

export const NBDMAGIC = 0x4e42444d41474943n; // "NBDMAGIC"
export const IHAVEOPT = 0x49484156454f5054n; // "IHAVEOPT"
export const OPT_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;

/** Handshake flags (server). */
export const FLAG_FIXED_NEWSTYLE = 1;
export const FLAG_NO_ZEROES = 2;
/** Client flags. */
export const CFLAG_FIXED_NEWSTYLE = 1;
export const CFLAG_NO_ZEROES = 2;

/** Options. */
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_INFO = 6;
export const OPT_GO = 7;

/** Option reply types. */
export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
export const REP_ERR_UNSUP = 0x80000001;
export const REP_ERR_INVALID = 0x80000003;
export const REP_ERR_UNKNOWN = 0x80000006;

/** Info types (NBD_OPT_INFO / NBD_OPT_GO). */
export const INFO_EXPORT = 0;
export const INFO_BLOCK_SIZE = 3;

/** Transmission flags. */
export const TFLAG_HAS_FLAGS = 1;
export const TFLAG_SEND_FLUSH = 4;
export const TFLAG_ROTATIONAL = 16;

/** Commands. */
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;

/** Errors (errno values the protocol names). */
export const EIO = 5;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOVERFLOW = 75;
export const ENOTSUP = 95;

/** Largest request the server accepts (bytes); the block-size info tells clients. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** Size of a request header in the transmission phase. */
export const REQUEST_HEADER = 28;
