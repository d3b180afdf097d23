/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * NXP, the order-entry wire protocol of nanoex: SBE 1.0 messages behind a
 * Simple Open Framing Header, FIXP-style session messages, over UDP. This
 * header is the codec; docs/protocol.md is the normative spec (framing,
 * session rules, what every field means) and docs/nxp.xml the SBE schema for
 * client code generators. The three describe the same bytes: the message
 * tables below carry every field's offset, nxp.c proves them contiguous with
 * static asserts, and tests/test_nxp.c checks the doc and the XML against them.
 *
 * What it does: walk a datagram message by message (bounds-checked against
 * the datagram, the SOFH length and blockLength), give a zero-copy view of
 * each message, read fields from a view (explicit little-endian loads, no
 * unaligned access), and encode each message into caller memory. What it
 * does not do: sessions, sequence numbers, authentication, risk, matching:
 * the codec knows bytes, not state. Nothing here allocates, locks, logs or
 * makes a system call; every function is reentrant (a reader or writer
 * belongs to one thread at a time).
 *
 * Names: for a message "new_order" (NewOrder, templateId NX_NXP_NEW_ORDER,
 * v1 block NX_NXP_NEW_ORDER_BLOCK_LEN bytes) there is
 *   struct nx_nxp_new_order                    every field, in wire order
 *   nx_nxp_new_order_<field>(const struct nx_nxp_msg *)  one field (hot)
 *   nx_nxp_decode_new_order(msg, &struct)      every field
 *   nx_nxp_encode_new_order(writer, &struct)   one framed message
 * Accessors and decoders read the view of a message of that template only:
 * check msg->template_id first. The reader guarantees blockLength >= the v1
 * length, so every v1 field is in bounds.
 *
 * ---------------------------------------------------------------------------
 * PROPOSAL for include/nx/reason.h (codes are uint16 on the wire;
 * docs/protocol.md "Reason codes" has the same list). Book codes 1-63, risk
 * codes 64-127 (RISK_*) and the cancel reasons are reason.h's already.
 *
 * Session and protocol, 128-191 (NX_REJECT_REASONS; FIXP name in brackets):
 *  128 AUTH_UNKNOWN_ACCOUNT    no such account, or it may not log in [Credentials]
 *  129 AUTH_BAD_KEY            secret key does not match [Credentials]
 *  130 AUTH_WRONG_SOURCE       source address not the account's, or not the session's
 *  131 SESSION_ID_IN_USE       session id already used [DuplicateId]
 *  132 FLOW_NOT_SUPPORTED      the client flow must be Idempotent [FlowTypeNotSupported]
 *  133 NOT_NEGOTIATED          no negotiated session with this id, or finalized [Unnegotiated]
 *  134 ALREADY_ESTABLISHED     the session is already established [AlreadyEstablished]
 *  135 SESSION_BLOCKED         the session or its account is disabled [SessionBlocked]
 *  136 BAD_KEEPALIVE           keepalive interval out of range [KeepaliveInterval]
 *  137 NOT_ESTABLISHED         application message before establishment
 *  138 SESSION_CAPACITY        no free session slot
 *  139 RETRANSMIT_OUT_OF_RANGE range empty, from 0, or past the last sent [OutOfRange]
 *  140 RETRANSMIT_TOO_MANY     count above the venue maximum [RequestLimitExceeded]
 *  141 RETRANSMIT_IN_PROGRESS  a retransmit request is in flight [ReRequestInProgress]
 *  142 RETRANSMIT_WRONG_SESSION session id is not this session [InvalidSession]
 *  143 NOT_ADMIN               admin message from a session without admin rights
 *  144 ACCOUNT_NOT_PERMITTED   the session may not act for this account
 *  145 UNKNOWN_TEMPLATE        template id not known to this venue
 *  146 WRONG_DIRECTION         a message only the venue sends
 *  147 MALFORMED               framing, header or block length invalid
 *  148 BAD_FIELD               a field value outside its enum or range
 *  149 KEEPALIVE_TIMEOUT       peer silent longer than its keepalive interval
 *  150 PROTOCOL_VIOLATION      session protocol violated [UnspecifiedError]
 *  151 VENUE_SHUTDOWN          the venue is closing the session
 *  152 STALE_ESTABLISH         Establish older than the last accepted one
 *  153 RETRANSMIT_THROTTLED    retransmission budget spent [RequestLimitExceeded]
 *
 * ---------------------------------------------------------------------------
 */
#ifndef NX_NXP_H
#define NX_NXP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nx/cc.h"

/* --- Framing constants (docs/protocol.md "Framing") ----------------------- */

#define NX_NXP_SOFH_LEN      6u      /* uint32 length + uint16 encoding type, big-endian */
#define NX_NXP_HDR_LEN       8u      /* blockLength, templateId, schemaId, version, LE */
#define NX_NXP_OVERHEAD      14u     /* SOFH + SBE header before every block */
#define NX_NXP_ENCODING      0xEB50u /* SOFH encoding type: SBE 1.0 little-endian (SOFH
                                        1.0 table; 0x5BE0 is SBE 1.0 big-endian) */
#define NX_NXP_SCHEMA_ID     0x4E58u /* "NX" */
#define NX_NXP_VERSION       1u      /* the schema version this codec writes */
#define NX_NXP_VERSION_MIN   1u      /* oldest version it reads; newer ones are read
                                        through their v1 fields */
#define NX_NXP_TID_LIMIT     512u    /* every templateId is below this */
#define NX_NXP_DGRAM_MAX     1472u   /* recommended datagram payload: 1500 MTU - 20 IPv4 -
                                        8 UDP; the reader accepts any length */

/* Template flags (struct nx_nxp_msg.flags, nx_nxp_template_flags). */
#define NX_NXP_F_CLIENT 0x01u /* sent by clients */
#define NX_NXP_F_VENUE  0x02u /* sent by the venue */
#define NX_NXP_F_SEQ    0x04u /* application message: takes a sequence number of its flow */
#define NX_NXP_F_ADMIN  0x08u /* accepted from admin sessions only */

/* --- Errors of nx_nxp_next ----------------------------------------------- */
/*
 * Framing errors (E_SOFH_TRUNC .. E_SOFH_LONG) leave nothing trustworthy to
 * step over: the reader stops at the end of the datagram. Message errors
 * (E_HDR_TRUNC .. E_LENGTH) are confined to one message whose SOFH length
 * was valid: the reader has already stepped past it, the next call reads the
 * next message. A reserved range of -errno-style values, so they never
 * collide with -EINVAL and friends.
 */
enum nx_nxp_err {
	NX_NXP_E_SOFH_TRUNC  = -2001, /* fewer than 6 bytes left for a SOFH */
	NX_NXP_E_ENCODING    = -2002, /* SOFH encoding type is not 0xEB50 */
	NX_NXP_E_SOFH_SHORT  = -2003, /* SOFH length < 6, cannot even hold itself */
	NX_NXP_E_SOFH_LONG   = -2004, /* SOFH length runs past the end of the datagram */
	NX_NXP_E_HDR_TRUNC   = -2005, /* SOFH length < 14: no room for the SBE header */
	NX_NXP_E_SCHEMA      = -2006, /* schemaId is not NX_NXP_SCHEMA_ID */
	NX_NXP_E_VERSION     = -2007, /* version < NX_NXP_VERSION_MIN */
	NX_NXP_E_TEMPLATE    = -2008, /* templateId unknown */
	NX_NXP_E_BLOCK_SHORT = -2009, /* blockLength < the template's v1 block */
	NX_NXP_E_LENGTH      = -2010, /* SOFH length != 14 + blockLength */
};

/* 1 for a framing error (the rest of the datagram is lost), else 0. */
static inline int nx_nxp_err_fatal(int rc)
{
	return rc <= NX_NXP_E_SOFH_TRUNC && rc >= NX_NXP_E_SOFH_LONG;
}

/* Upper-case name of an nx_nxp_err ("SOFH_TRUNC"), "?" otherwise. Cold. */
const char *nx_nxp_strerror(int rc);

/* --- Wire enums not already defined by the engine -------------------------- */
/* Side, OrdType, TimeInForce, StpMode, Liquidity, RequestKind, InstrumentKind,
 * InstrumentStatus, PutCall, KillSwitchScope and LimitKind carry the values
 * of enum nx_side, nx_ord_type, nx_tif, nx_stp, nx_liquidity, nx_request,
 * nx_inst_kind, nx_inst_status, nx_put_call, nx_kill_scope and nx_limit_id
 * (nxp.c pins each with a static assert); RejectReason and CancelReason are
 * the codes of nx/reason.h. */

enum nx_nxp_cod {             /* CancelOnDisconnectMode */
	NX_NXP_COD_DEFAULT = 0,      /* the account's configured choice (request only) */
	NX_NXP_COD_OFF     = 1,
	NX_NXP_COD_ON      = 2,
};

enum nx_nxp_flow {            /* FlowType, FIXP values */
	NX_NXP_FLOW_RECOVERABLE = 0,
	NX_NXP_FLOW_IDEMPOTENT  = 1,
	NX_NXP_FLOW_UNSEQUENCED = 2,
	NX_NXP_FLOW_NONE        = 3,
};

/* --- The messages ---------------------------------------------------------- */
/*
 * NX_NXP_MESSAGES(M) calls M(NAME, name, SbeName, templateId, v1 block
 * length, flags) once per template. NX_NXP_FIELDS_<name>(F, m) calls
 * F(m, field, type, offset) once per field in wire order, where type is
 *   u8 u16 u32 u64   unsigned little-endian integer (SBE enums are u8/u16)
 *   i64              two's complement little-endian
 *   c16              char[16], US-ASCII, NUL-padded (16 characters: no NUL)
 *   b32              uint8_t[32], opaque
 * The offsets are those of docs/protocol.md; blocks have no padding.
 */
#define NX_NXP_MESSAGES(M) \
	M(NEGOTIATE, negotiate, Negotiate, 1, 53, NX_NXP_F_CLIENT) \
	M(NEGOTIATION_RESPONSE, negotiation_response, NegotiationResponse, 2, 17, NX_NXP_F_VENUE) \
	M(NEGOTIATION_REJECT, negotiation_reject, NegotiationReject, 3, 18, NX_NXP_F_VENUE) \
	M(ESTABLISH, establish, Establish, 5, 64, NX_NXP_F_CLIENT) \
	M(ESTABLISHMENT_ACK, establishment_ack, EstablishmentAck, 6, 36, NX_NXP_F_VENUE) \
	M(ESTABLISHMENT_REJECT, establishment_reject, EstablishmentReject, 7, 18, NX_NXP_F_VENUE) \
	M(SEQUENCE, sequence, Sequence, 8, 8, NX_NXP_F_CLIENT | NX_NXP_F_VENUE) \
	M(RETRANSMIT_REQUEST, retransmit_request, RetransmitRequest, 11, 28, NX_NXP_F_CLIENT) \
	M(RETRANSMISSION, retransmission, Retransmission, 12, 28, NX_NXP_F_VENUE) \
	M(RETRANSMIT_REJECT, retransmit_reject, RetransmitReject, 13, 18, NX_NXP_F_VENUE) \
	M(TERMINATE, terminate, Terminate, 14, 10, NX_NXP_F_CLIENT | NX_NXP_F_VENUE) \
	M(FINISHED_SENDING, finished_sending, FinishedSending, 15, 16, NX_NXP_F_CLIENT | NX_NXP_F_VENUE) \
	M(FINISHED_RECEIVING, finished_receiving, FinishedReceiving, 16, 8, NX_NXP_F_CLIENT | NX_NXP_F_VENUE) \
	M(NOT_APPLIED, not_applied, NotApplied, 18, 12, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(NEW_ORDER, new_order, NewOrder, 100, 45, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(CANCEL_ORDER, cancel_order, CancelOrder, 101, 28, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(CANCEL_REPLACE, cancel_replace, CancelReplace, 102, 44, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(MASS_CANCEL, mass_cancel, MassCancel, 103, 17, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(SET_CANCEL_ON_DISCONNECT, set_cancel_on_disconnect, SetCancelOnDisconnect, 104, 9, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(EXEC_NEW, exec_new, ExecNew, 200, 61, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(EXEC_TRADE, exec_trade, ExecTrade, 201, 79, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(EXEC_CANCELED, exec_canceled, ExecCanceled, 202, 51, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(EXEC_REPLACED, exec_replaced, ExecReplaced, 203, 58, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(EXEC_REDUCED, exec_reduced, ExecReduced, 204, 59, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(EXEC_REJECTED, exec_rejected, ExecRejected, 205, 26, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(CANCEL_REJECT, cancel_reject, CancelReject, 206, 43, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(MASS_CANCEL_REPORT, mass_cancel_report, MassCancelReport, 207, 29, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(BUSINESS_REJECT, business_reject, BusinessReject, 208, 28, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(CANCEL_ON_DISCONNECT_ACK, cancel_on_disconnect_ack, CancelOnDisconnectAck, 209, 17, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(INSTRUMENT_DEFINITION_REQUEST, instrument_definition_request, InstrumentDefinitionRequest, 300, 12, NX_NXP_F_CLIENT | NX_NXP_F_SEQ) \
	M(INSTRUMENT_DEFINITION, instrument_definition, InstrumentDefinition, 301, 107, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(SET_KILL_SWITCH, set_kill_switch, SetKillSwitch, 400, 14, NX_NXP_F_CLIENT | NX_NXP_F_SEQ | NX_NXP_F_ADMIN) \
	M(SET_INSTRUMENT_STATUS, set_instrument_status, SetInstrumentStatus, 401, 14, NX_NXP_F_CLIENT | NX_NXP_F_SEQ | NX_NXP_F_ADMIN) \
	M(SET_REFERENCE_PRICE, set_reference_price, SetReferencePrice, 402, 20, NX_NXP_F_CLIENT | NX_NXP_F_SEQ | NX_NXP_F_ADMIN) \
	M(SET_LIMIT, set_limit, SetLimit, 403, 21, NX_NXP_F_CLIENT | NX_NXP_F_SEQ | NX_NXP_F_ADMIN) \
	M(ADMIN_ACK, admin_ack, AdminAck, 410, 18, NX_NXP_F_VENUE | NX_NXP_F_SEQ) \
	M(ADMIN_REJECT, admin_reject, AdminReject, 411, 20, NX_NXP_F_VENUE | NX_NXP_F_SEQ)

#define NX_NXP_FIELDS_negotiate(F, m) \
	F(m, session_id, u64, 0) \
	F(m, timestamp, u64, 8) \
	F(m, account, u32, 16) \
	F(m, secret_key, b32, 20) \
	F(m, client_flow, u8, 52)

#define NX_NXP_FIELDS_negotiation_response(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, server_flow, u8, 16)

#define NX_NXP_FIELDS_negotiation_reject(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, code, u16, 16)

#define NX_NXP_FIELDS_establish(F, m) \
	F(m, session_id, u64, 0) \
	F(m, timestamp, u64, 8) \
	F(m, next_seq_no, u64, 16) \
	F(m, keepalive_ms, u32, 24) \
	F(m, account, u32, 28) \
	F(m, secret_key, b32, 32)

#define NX_NXP_FIELDS_establishment_ack(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, next_seq_no, u64, 16) \
	F(m, next_recv_seq_no, u64, 24) \
	F(m, keepalive_ms, u32, 32)

#define NX_NXP_FIELDS_establishment_reject(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, code, u16, 16)

#define NX_NXP_FIELDS_sequence(F, m) \
	F(m, next_seq_no, u64, 0)

#define NX_NXP_FIELDS_retransmit_request(F, m) \
	F(m, session_id, u64, 0) \
	F(m, timestamp, u64, 8) \
	F(m, from_seq_no, u64, 16) \
	F(m, count, u32, 24)

#define NX_NXP_FIELDS_retransmission(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, next_seq_no, u64, 16) \
	F(m, count, u32, 24)

#define NX_NXP_FIELDS_retransmit_reject(F, m) \
	F(m, session_id, u64, 0) \
	F(m, request_timestamp, u64, 8) \
	F(m, code, u16, 16)

#define NX_NXP_FIELDS_terminate(F, m) \
	F(m, session_id, u64, 0) \
	F(m, code, u16, 8)

#define NX_NXP_FIELDS_finished_sending(F, m) \
	F(m, session_id, u64, 0) \
	F(m, last_seq_no, u64, 8)

#define NX_NXP_FIELDS_finished_receiving(F, m) \
	F(m, session_id, u64, 0)

#define NX_NXP_FIELDS_not_applied(F, m) \
	F(m, from_seq_no, u64, 0) \
	F(m, count, u32, 8)

#define NX_NXP_FIELDS_new_order(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, price, i64, 8) \
	F(m, qty, i64, 16) \
	F(m, display_qty, i64, 24) \
	F(m, account, u32, 32) \
	F(m, instrument, u32, 36) \
	F(m, side, u8, 40) \
	F(m, ord_type, u8, 41) \
	F(m, time_in_force, u8, 42) \
	F(m, post_only, u8, 43) \
	F(m, stp_mode, u8, 44)

#define NX_NXP_FIELDS_cancel_order(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, orig_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, account, u32, 24)

#define NX_NXP_FIELDS_cancel_replace(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, orig_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, price, i64, 24) \
	F(m, qty, i64, 32) \
	F(m, account, u32, 40)

#define NX_NXP_FIELDS_mass_cancel(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, account, u32, 8) \
	F(m, instrument, u32, 12) \
	F(m, side, u8, 16)

#define NX_NXP_FIELDS_set_cancel_on_disconnect(F, m) \
	F(m, req_id, u64, 0) \
	F(m, mode, u8, 8)

#define NX_NXP_FIELDS_exec_new(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, order_id, u64, 8) \
	F(m, transact_time, u64, 16) \
	F(m, price, i64, 24) \
	F(m, qty, i64, 32) \
	F(m, display_qty, i64, 40) \
	F(m, account, u32, 48) \
	F(m, instrument, u32, 52) \
	F(m, side, u8, 56) \
	F(m, ord_type, u8, 57) \
	F(m, time_in_force, u8, 58) \
	F(m, post_only, u8, 59) \
	F(m, stp_mode, u8, 60)

#define NX_NXP_FIELDS_exec_trade(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, order_id, u64, 8) \
	F(m, trade_id, u64, 16) \
	F(m, transact_time, u64, 24) \
	F(m, last_px, i64, 32) \
	F(m, last_qty, i64, 40) \
	F(m, leaves_qty, i64, 48) \
	F(m, cum_qty, i64, 56) \
	F(m, account, u32, 64) \
	F(m, instrument, u32, 68) \
	F(m, side, u8, 72) \
	F(m, liquidity, u8, 73) \
	F(m, aggressor, u8, 74) \
	F(m, trade_count, u32, 75)

#define NX_NXP_FIELDS_exec_canceled(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, req_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, transact_time, u64, 24) \
	F(m, canceled_qty, i64, 32) \
	F(m, account, u32, 40) \
	F(m, instrument, u32, 44) \
	F(m, reason, u16, 48) \
	F(m, side, u8, 50)

#define NX_NXP_FIELDS_exec_replaced(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, orig_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, transact_time, u64, 24) \
	F(m, price, i64, 32) \
	F(m, qty, i64, 40) \
	F(m, account, u32, 48) \
	F(m, instrument, u32, 52) \
	F(m, side, u8, 56) \
	F(m, kept_priority, u8, 57)

#define NX_NXP_FIELDS_exec_reduced(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, req_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, transact_time, u64, 24) \
	F(m, reduced_qty, i64, 32) \
	F(m, leaves_qty, i64, 40) \
	F(m, account, u32, 48) \
	F(m, instrument, u32, 52) \
	F(m, reason, u16, 56) \
	F(m, side, u8, 58)

#define NX_NXP_FIELDS_exec_rejected(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, transact_time, u64, 8) \
	F(m, account, u32, 16) \
	F(m, instrument, u32, 20) \
	F(m, reason, u16, 24)

#define NX_NXP_FIELDS_cancel_reject(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, orig_cl_ord_id, u64, 8) \
	F(m, order_id, u64, 16) \
	F(m, transact_time, u64, 24) \
	F(m, account, u32, 32) \
	F(m, instrument, u32, 36) \
	F(m, reason, u16, 40) \
	F(m, response_to, u8, 42)

#define NX_NXP_FIELDS_mass_cancel_report(F, m) \
	F(m, cl_ord_id, u64, 0) \
	F(m, transact_time, u64, 8) \
	F(m, account, u32, 16) \
	F(m, instrument, u32, 20) \
	F(m, count, u32, 24) \
	F(m, side, u8, 28)

#define NX_NXP_FIELDS_cancel_on_disconnect_ack(F, m) \
	F(m, req_id, u64, 0) \
	F(m, transact_time, u64, 8) \
	F(m, mode, u8, 16)

#define NX_NXP_FIELDS_business_reject(F, m) \
	F(m, ref_seq_no, u64, 0) \
	F(m, ref_id, u64, 8) \
	F(m, transact_time, u64, 16) \
	F(m, ref_template_id, u16, 24) \
	F(m, reason, u16, 26)

#define NX_NXP_FIELDS_instrument_definition_request(F, m) \
	F(m, req_id, u64, 0) \
	F(m, instrument, u32, 8)

#define NX_NXP_FIELDS_instrument_definition(F, m) \
	F(m, req_id, u64, 0) \
	F(m, tick, i64, 8) \
	F(m, lot, i64, 16) \
	F(m, min_qty, i64, 24) \
	F(m, max_qty, i64, 32) \
	F(m, band_ticks, i64, 40) \
	F(m, ref_px, i64, 48) \
	F(m, strike, i64, 56) \
	F(m, expiry, i64, 64) \
	F(m, instrument, u32, 72) \
	F(m, underlying, u32, 76) \
	F(m, index, u32, 80) \
	F(m, total, u32, 84) \
	F(m, symbol, c16, 88) \
	F(m, kind, u8, 104) \
	F(m, status, u8, 105) \
	F(m, put_call, u8, 106)

#define NX_NXP_FIELDS_set_kill_switch(F, m) \
	F(m, req_id, u64, 0) \
	F(m, id, u32, 8) \
	F(m, scope, u8, 12) \
	F(m, on, u8, 13)

#define NX_NXP_FIELDS_set_instrument_status(F, m) \
	F(m, req_id, u64, 0) \
	F(m, instrument, u32, 8) \
	F(m, status, u8, 12) \
	F(m, cancel_resting, u8, 13)

#define NX_NXP_FIELDS_set_reference_price(F, m) \
	F(m, req_id, u64, 0) \
	F(m, price, i64, 8) \
	F(m, instrument, u32, 16)

#define NX_NXP_FIELDS_set_limit(F, m) \
	F(m, req_id, u64, 0) \
	F(m, value, i64, 8) \
	F(m, account, u32, 16) \
	F(m, limit_kind, u8, 20)

#define NX_NXP_FIELDS_admin_ack(F, m) \
	F(m, req_id, u64, 0) \
	F(m, transact_time, u64, 8) \
	F(m, ref_template_id, u16, 16)

#define NX_NXP_FIELDS_admin_reject(F, m) \
	F(m, req_id, u64, 0) \
	F(m, transact_time, u64, 8) \
	F(m, ref_template_id, u16, 16) \
	F(m, reason, u16, 18)

/* Per-type glue for the tables: C declaration, accessor type, load, store. */
#define NX_NXP_DECL_u8(f)  uint8_t f
#define NX_NXP_DECL_u16(f) uint16_t f
#define NX_NXP_DECL_u32(f) uint32_t f
#define NX_NXP_DECL_u64(f) uint64_t f
#define NX_NXP_DECL_i64(f) int64_t f
#define NX_NXP_DECL_c16(f) char f[16]
#define NX_NXP_DECL_b32(f) uint8_t f[32]

#define NX_NXP_SIZE_u8  1
#define NX_NXP_SIZE_u16 2
#define NX_NXP_SIZE_u32 4
#define NX_NXP_SIZE_u64 8
#define NX_NXP_SIZE_i64 8
#define NX_NXP_SIZE_c16 16
#define NX_NXP_SIZE_b32 32

#define NX_NXP_RET_u8  uint8_t
#define NX_NXP_RET_u16 uint16_t
#define NX_NXP_RET_u32 uint32_t
#define NX_NXP_RET_u64 uint64_t
#define NX_NXP_RET_i64 int64_t
#define NX_NXP_RET_c16 const char *    /* points into the packet, 16 bytes, maybe no NUL */
#define NX_NXP_RET_b32 const uint8_t * /* points into the packet, 32 bytes */

#define NX_NXP_LOAD_u8(p)  ((p)[0])
#define NX_NXP_LOAD_u16(p) nx_nxp_ld_u16(p)
#define NX_NXP_LOAD_u32(p) nx_nxp_ld_u32(p)
#define NX_NXP_LOAD_u64(p) nx_nxp_ld_u64(p)
#define NX_NXP_LOAD_i64(p) ((int64_t)nx_nxp_ld_u64(p)) /* two's complement (C11 6.3.1.3:
                                                          implementation-defined, modular
                                                          on every compiler we build with) */
#define NX_NXP_LOAD_c16(p) ((const char *)(p))
#define NX_NXP_LOAD_b32(p) (p)

#define NX_NXP_GET_u8(d, p)  ((d) = NX_NXP_LOAD_u8(p))
#define NX_NXP_GET_u16(d, p) ((d) = NX_NXP_LOAD_u16(p))
#define NX_NXP_GET_u32(d, p) ((d) = NX_NXP_LOAD_u32(p))
#define NX_NXP_GET_u64(d, p) ((d) = NX_NXP_LOAD_u64(p))
#define NX_NXP_GET_i64(d, p) ((d) = NX_NXP_LOAD_i64(p))
#define NX_NXP_GET_c16(d, p) memcpy((d), (p), 16)
#define NX_NXP_GET_b32(d, p) memcpy((d), (p), 32)

/* Explicit byte order, one place. Byte loads and shifts: no alignment or
 * aliasing assumption, and gcc/clang fold each into one (byte-swapped) load. */
static inline uint16_t nx_nxp_ld_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t nx_nxp_ld_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t nx_nxp_ld_u64(const uint8_t *p)
{
	return (uint64_t)nx_nxp_ld_u32(p) | (uint64_t)nx_nxp_ld_u32(p + 4) << 32;
}

static inline uint16_t nx_nxp_ld_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t nx_nxp_ld_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Template ids (NX_NXP_NEW_ORDER = 100) and v1 block lengths. */
enum nx_nxp_template {
#define NX_NXP_X_(N, n, S, ID, LEN, FL) NX_NXP_##N = ID, NX_NXP_##N##_BLOCK_LEN = LEN,
	NX_NXP_MESSAGES(NX_NXP_X_)
#undef NX_NXP_X_
};

/* One struct per message, fields in wire order. */
#define NX_NXP_SFIELD_(m, f, t, off) NX_NXP_DECL_##t(f);
#define NX_NXP_X_(N, n, S, ID, LEN, FL) \
	struct nx_nxp_##n { NX_NXP_FIELDS_##n(NX_NXP_SFIELD_, n) };
NX_NXP_MESSAGES(NX_NXP_X_)
#undef NX_NXP_X_
#undef NX_NXP_SFIELD_

/* --- Reading ---------------------------------------------------------------- */

/* A view of one well-formed message. Valid while the datagram is. */
struct nx_nxp_msg {
	const uint8_t *block;   /* the fixed block, block_len bytes */
	uint16_t template_id;
	uint16_t version;       /* as sent: >= 1; > NX_NXP_VERSION from newer senders */
	uint16_t block_len;     /* as sent: >= the template's v1 block length */
	uint8_t flags;          /* NX_NXP_F_* of the template */
	const uint8_t *frame;   /* the message from its SOFH on (for journals) */
	uint32_t frame_len;     /* = NX_NXP_OVERHEAD + block_len */
};

/* Cursor over one datagram. Fields are private. */
struct nx_nxp_reader {
	const uint8_t *p, *end, *start;
};

/* Private: v1 block length (0: unknown template) and flags per templateId. */
struct nx_nxp_tinfo_ {
	uint8_t block_len;
	uint8_t flags;
};
extern const struct nx_nxp_tinfo_ nx_nxp_tinfo_[NX_NXP_TID_LIMIT];

static inline void nx_nxp_reader_init(struct nx_nxp_reader *r, const void *data, size_t len)
{
	r->start = r->p = (const uint8_t *)data;
	r->end = len ? r->p + len : r->p; /* no arithmetic on a NULL, empty datagram */
}

/* Bytes of the datagram consumed so far (where the next message starts). */
static inline size_t nx_nxp_reader_offset(const struct nx_nxp_reader *r)
{
	return (size_t)(r->p - r->start);
}

/*
 * Read the next message of the datagram into *m.
 * Returns 1 with *m filled; 0 at the end of the datagram (*m zeroed); or an
 * nx_nxp_err:
 * - framing errors: *m is zeroed and the reader is at the end (next call: 0);
 * - message errors: the reader is past the message; *m has frame, frame_len,
 *   and (unless E_HDR_TRUNC) template_id, version and block_len as sent, and
 *   flags when the template is known; block is NULL.
 * Checks, in order: SOFH present, encoding type, SOFH length >= 6, within the
 * datagram, >= 14; schemaId, version, templateId, blockLength >= v1 length,
 * SOFH length == 14 + blockLength.
 */
static NX_ALWAYS_INLINE int nx_nxp_next(struct nx_nxp_reader *r, struct nx_nxp_msg *m)
{
	const uint8_t *p = r->p;
	size_t left = (size_t)(r->end - p);
	uint32_t len;

	memset(m, 0, sizeof(*m));
	if (left == 0)
		return 0;
	if (NX_UNLIKELY(left < NX_NXP_SOFH_LEN)) {
		r->p = r->end;
		return NX_NXP_E_SOFH_TRUNC;
	}
	len = nx_nxp_ld_be32(p);
	if (NX_UNLIKELY(nx_nxp_ld_be16(p + 4) != NX_NXP_ENCODING)) {
		r->p = r->end;
		return NX_NXP_E_ENCODING;
	}
	if (NX_UNLIKELY(len < NX_NXP_SOFH_LEN)) {
		r->p = r->end;
		return NX_NXP_E_SOFH_SHORT;
	}
	if (NX_UNLIKELY(len > left)) {
		r->p = r->end;
		return NX_NXP_E_SOFH_LONG;
	}
	r->p = p + len;
	m->frame = p;
	m->frame_len = len;
	if (NX_UNLIKELY(len < NX_NXP_OVERHEAD))
		return NX_NXP_E_HDR_TRUNC;
	m->block_len = nx_nxp_ld_u16(p + 6);
	m->template_id = nx_nxp_ld_u16(p + 8);
	m->version = nx_nxp_ld_u16(p + 12);
	if (NX_UNLIKELY(nx_nxp_ld_u16(p + 10) != NX_NXP_SCHEMA_ID))
		return NX_NXP_E_SCHEMA;
	if (NX_UNLIKELY(m->version < NX_NXP_VERSION_MIN))
		return NX_NXP_E_VERSION;
	if (NX_UNLIKELY(m->template_id >= NX_NXP_TID_LIMIT ||
			!nx_nxp_tinfo_[m->template_id].block_len))
		return NX_NXP_E_TEMPLATE;
	m->flags = nx_nxp_tinfo_[m->template_id].flags;
	if (NX_UNLIKELY(m->block_len < nx_nxp_tinfo_[m->template_id].block_len))
		return NX_NXP_E_BLOCK_SHORT;
	if (NX_UNLIKELY(len != NX_NXP_OVERHEAD + m->block_len))
		return NX_NXP_E_LENGTH;
	m->block = p + NX_NXP_OVERHEAD;
	return 1;
}

/* Field accessors nx_nxp_<message>_<field>(m) and nx_nxp_decode_<message>. */
#define NX_NXP_ACC_(m, f, t, off) \
	static inline NX_NXP_RET_##t nx_nxp_##m##_##f(const struct nx_nxp_msg *msg) \
	{ return NX_NXP_LOAD_##t(msg->block + (off)); }
#define NX_NXP_DFIELD_(m, f, t, off) NX_NXP_GET_##t(out->f, msg->block + (off));
#define NX_NXP_X_(N, n, S, ID, LEN, FL) \
	NX_NXP_FIELDS_##n(NX_NXP_ACC_, n) \
	static inline void nx_nxp_decode_##n(const struct nx_nxp_msg *msg, struct nx_nxp_##n *out) \
	{ NX_NXP_FIELDS_##n(NX_NXP_DFIELD_, n) }
NX_NXP_MESSAGES(NX_NXP_X_)
#undef NX_NXP_X_
#undef NX_NXP_DFIELD_
#undef NX_NXP_ACC_

/* --- Writing ---------------------------------------------------------------- */

/* Cursor over caller memory (a TX frame's payload). len <= cap always. */
struct nx_nxp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;             /* bytes written so far */
};

static inline void nx_nxp_writer_init(struct nx_nxp_writer *w, void *buf, size_t cap)
{
	w->buf = (uint8_t *)buf;
	w->cap = cap;
	w->len = 0;
}

/*
 * nx_nxp_encode_<message>(w, v): append one framed message (SOFH, header
 * with version NX_NXP_VERSION and the v1 block length, the block).
 * Returns the bytes written (NX_NXP_OVERHEAD + block length), or 0 with the
 * writer unchanged when it does not fit. c16 fields are copied up to their
 * first NUL and zero-padded; every other byte of the block comes from v.
 */
/* They are always inlined, field stores straight from the caller's struct:
 * a caller that builds the struct in place (the engine's reports) compiles
 * to the stores alone, with no struct on the stack and no call. (Plain
 * inline was not enough: GCC kept ExecTrade, encoded twice a trade, out of
 * line, and each report went through a struct on the stack.) */
static inline void nx_nxp_st_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void nx_nxp_st_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void nx_nxp_st_u64(uint8_t *p, uint64_t v)
{
	nx_nxp_st_u32(p, (uint32_t)v);
	nx_nxp_st_u32(p + 4, (uint32_t)(v >> 32));
}

/* Up to the first NUL of s (at most n bytes), then zeros: no stray bytes
 * after a symbol's terminator reach the wire. */
static inline void nx_nxp_st_str(uint8_t *p, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && s[i]; i++)
		p[i] = (uint8_t)s[i];
	for (; i < n; i++)
		p[i] = 0;
}

#define NX_NXP_PUT_u8(p, v)  ((p)[0] = (v))
#define NX_NXP_PUT_u16(p, v) nx_nxp_st_u16((p), (v))
#define NX_NXP_PUT_u32(p, v) nx_nxp_st_u32((p), (v))
#define NX_NXP_PUT_u64(p, v) nx_nxp_st_u64((p), (v))
#define NX_NXP_PUT_i64(p, v) nx_nxp_st_u64((p), (uint64_t)(v))
#define NX_NXP_PUT_c16(p, v) nx_nxp_st_str((p), (v), 16)
#define NX_NXP_PUT_b32(p, v) memcpy((p), (v), 32)

/* Private: SOFH and header, the block left to the caller; NULL (writer
 * unchanged) when it does not fit. */
static inline uint8_t *nx_nxp_put_header_(struct nx_nxp_writer *w, uint16_t tid,
					  uint16_t version, uint16_t block_len)
{
	size_t need = NX_NXP_OVERHEAD + (size_t)block_len;
	uint8_t *p;

	if (NX_UNLIKELY(w->cap - w->len < need))
		return NULL;
	p = w->buf + w->len;
	w->len += need;
	p[0] = (uint8_t)(need >> 24); /* SOFH length: big-endian */
	p[1] = (uint8_t)(need >> 16);
	p[2] = (uint8_t)(need >> 8);
	p[3] = (uint8_t)need;
	p[4] = (uint8_t)(NX_NXP_ENCODING >> 8);
	p[5] = (uint8_t)NX_NXP_ENCODING;
	nx_nxp_st_u16(p + 6, block_len);
	nx_nxp_st_u16(p + 8, tid);
	nx_nxp_st_u16(p + 10, NX_NXP_SCHEMA_ID);
	nx_nxp_st_u16(p + 12, version);
	return p + NX_NXP_OVERHEAD;
}

#define NX_NXP_EFIELD_(m, f, t, off) NX_NXP_PUT_##t(b + (off), v->f);
#define NX_NXP_X_(N, n, S, ID, LEN, FL)                                             \
	static NX_ALWAYS_INLINE size_t nx_nxp_encode_##n(struct nx_nxp_writer *w,    \
					       const struct nx_nxp_##n *v)           \
	{                                                                            \
		uint8_t *b = nx_nxp_put_header_(w, ID, NX_NXP_VERSION, LEN);         \
		if (NX_UNLIKELY(!b))                                                 \
			return 0;                                                    \
		NX_NXP_FIELDS_##n(NX_NXP_EFIELD_, n)                                 \
		return NX_NXP_OVERHEAD + (LEN);                                      \
	}
NX_NXP_MESSAGES(NX_NXP_X_)
#undef NX_NXP_X_
#undef NX_NXP_EFIELD_

/*
 * Append a SOFH and a header with any template, version and block length,
 * and a zeroed block: for extensions and tests (a "v2" block, a template this
 * codec does not know). Returns the block to fill, or NULL with the writer
 * unchanged when it does not fit.
 */
uint8_t *nx_nxp_encode_header(struct nx_nxp_writer *w, uint16_t template_id,
			      uint16_t version, uint16_t block_len);

/* --- Names (cold) ----------------------------------------------------------- */

/* The SBE message name ("NewOrder"), or "?" for an unknown templateId. */
const char *nx_nxp_template_name(unsigned template_id);

/* NX_NXP_F_* of a templateId, 0 when unknown. */
static inline unsigned nx_nxp_template_flags(unsigned template_id)
{
	return template_id < NX_NXP_TID_LIMIT ? nx_nxp_tinfo_[template_id].flags : 0;
}

/* v1 block length of a templateId, 0 when unknown. */
static inline unsigned nx_nxp_template_block_len(unsigned template_id)
{
	return template_id < NX_NXP_TID_LIMIT ? nx_nxp_tinfo_[template_id].block_len : 0;
}

#endif /* NX_NXP_H */
