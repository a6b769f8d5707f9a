package io.omnistream.operators.asr;

import io.omnistream.schemas.SpeechEvent;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/**
 * The keyed state of {@link StreamingAsrFunction}. PocketSphinx decoders live in native memory and
 * cannot be checkpointed, so what is checkpointed instead is enough to rebuild a decoder's position:
 * the {@link AsrPosition}, the audio of the turn in progress (bounded), the pre-roll ring, the speech
 * events still waiting for their audio and the latest screen picture. List states are appended to on
 * the hot path (cheap in every backend) and rewritten only when trimmed.
 */
final class AsrSessionStore {
    final ValueState<AsrPosition> position;
    /** Recent ticks (about 1 to 2 s) for the pre-roll of the next speech start. */
    final ListState<AudioSpan> preroll;
    /** Audio fed to the decoder since the turn opened, oldest first, bounded by {@code asrReplayMaxMicros}. */
    final ListState<AudioSpan> turnAudio;
    /** Speech events received but not applied yet, in session-time order. */
    final ListState<SpeechEvent> pending;
    /** The pending events' event times (record timestamps, Long.MIN_VALUE for none), index for index. */
    final ListState<Long> pendingEventTimes;
    final ValueState<byte[]> screen;

    AsrSessionStore(RuntimeContext ctx) {
        position = ctx.getState(new ValueStateDescriptor<>("asr-position", TypeInformation.of(AsrPosition.class)));
        preroll = ctx.getListState(new ListStateDescriptor<>("asr-preroll", TypeInformation.of(AudioSpan.class)));
        turnAudio = ctx.getListState(new ListStateDescriptor<>("asr-turn-audio", TypeInformation.of(AudioSpan.class)));
        pending = ctx.getListState(new ListStateDescriptor<>("asr-pending-events", new AvroTypeInfo<>(SpeechEvent.class)));
        pendingEventTimes = ctx.getListState(new ListStateDescriptor<>("asr-pending-event-times", Types.LONG));
        screen = ctx.getState(new ValueStateDescriptor<>("asr-latest-screen", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }
}
