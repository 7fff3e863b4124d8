// The messages of App Engine's API-server protocol, written by us from the services' field numbers and enums
// (../shared/spec/api-server.md), as proto2 text that protobufjs parses once: the remote_api envelope and the
// xmpp service. Repeated fields stay unpacked (proto2's default), which the Python 2 SDK's parser needs.
import protobuf from 'protobufjs';

const REMOTE_API = `
syntax = "proto2";
package remote_api;

message Request {
  required string service_name = 2;
  required string method = 3;
  required bytes request = 4;
  optional string request_id = 5;
}

message ApplicationError {
  required int32 code = 1;
  required string detail = 2;
}

message RpcError {
  required int32 code = 1;
  optional string detail = 2;
}

message Response {
  optional bytes response = 1;
  optional bytes exception = 2;
  optional ApplicationError application_error = 3;
  optional bytes java_exception = 4;
  optional RpcError rpc_error = 5;
}
`;

const XMPP = `
syntax = "proto2";
package appengine;

message PresenceRequest {
  required string jid = 1;
  optional string from_jid = 2;
}

message PresenceResponse {
  enum SHOW {
    NORMAL = 0;
    AWAY = 1;
    DO_NOT_DISTURB = 2;
    CHAT = 3;
    EXTENDED_AWAY = 4;
  }
  required bool is_available = 1;
  optional SHOW presence = 2;
  optional bool valid = 3;
}

message BulkPresenceRequest {
  repeated string jid = 1;
  optional string from_jid = 2;
}

message BulkPresenceResponse {
  repeated PresenceResponse presence_response = 1;
}

message XmppMessageRequest {
  repeated string jid = 1;
  required string body = 2;
  optional bool raw_xml = 3 [default = false];
  optional string type = 4 [default = "chat"];
  optional string from_jid = 5;
}

message XmppMessageResponse {
  enum XmppMessageStatus {
    NO_ERROR = 0;
    INVALID_JID = 1;
    OTHER_ERROR = 2;
  }
  repeated XmppMessageStatus status = 1;
}

message XmppInviteRequest {
  required string jid = 1;
  optional string from_jid = 2;
}

message XmppInviteResponse {
}

message XmppSendPresenceRequest {
  required string jid = 1;
  optional string type = 2;
  optional string show = 3;
  optional string status = 4;
  optional string from_jid = 5;
}

message XmppSendPresenceResponse {
}
`;

export const root = new protobuf.Root();
for (const text of [REMOTE_API, XMPP]) protobuf.parse(text, root, { keepCase: true });
