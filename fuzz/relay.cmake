# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the relay module's codecs: STUN messages (parse, integrity, rebuild oracle),
# ChannelData with the RFC 7983 classifier, ICE candidate strings (round trip oracle), and the
# TURN allocation state machine against a relay the input scripts, and the controlled ICE agent
# against a client the input scripts.
fzgw_add_fuzz(fuzz_stun SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_stun.c LIBS fzgw_relay_proto)
fzgw_add_fuzz(fuzz_channeldata SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_channeldata.c
              LIBS fzgw_relay_proto)
fzgw_add_fuzz(fuzz_ice_candidate SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ice_candidate.c
              LIBS fzgw_relay_proto)
fzgw_add_fuzz(fuzz_turn_alloc SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_turn_alloc.c
              LIBS fzgw_relay_proto)
fzgw_add_fuzz(fuzz_ice_agent SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_ice_agent.c
              LIBS fzgw_relay_proto)
