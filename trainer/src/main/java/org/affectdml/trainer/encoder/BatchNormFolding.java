package org.affectdml.trainer.encoder;

import ai.onnx.proto.OnnxMl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds each BatchNormalization that follows a Conv into that Conv, as exporters do in inference mode: with
 * f = scale / sqrt(var + epsilon) per output channel, the weight becomes W·f and the bias (b − mean)·f + B, and the
 * BatchNormalization node disappears (the Conv now writes its output). Only where that is exact: the Conv's output
 * is read by nothing else and is no graph output, the statistics are initializers, and the node has one output (an
 * inference-mode node). Other BatchNormalization nodes are left for {@link OnnxConvNet} to apply as they are.
 */
final class BatchNormFolding {

    private BatchNormFolding() {
    }

    static OnnxMl.ModelProto fold(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto g = model.getGraph();
        Map<String, OnnxMl.TensorProto> initializers = new HashMap<>();
        g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Map<String, Integer> readers = new HashMap<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            n.getInputList().forEach(i -> readers.merge(i, 1, Integer::sum));
        }
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            for (String out : g.getNode(i).getOutputList()) {
                producer.put(out, i);
            }
        }

        List<OnnxMl.NodeProto> nodes = new ArrayList<>(g.getNodeList());
        List<OnnxMl.TensorProto> added = new ArrayList<>();
        Set<Integer> removed = new HashSet<>();
        int folded = 0;
        for (int i = 0; i < nodes.size(); i++) {
            OnnxMl.NodeProto bn = nodes.get(i);
            if (!bn.getOpType().equals("BatchNormalization") || bn.getOutputCount() != 1) {
                continue;
            }
            Integer convAt = producer.get(bn.getInput(0));
            if (convAt == null || !nodes.get(convAt).getOpType().equals("Conv") || readers.getOrDefault(bn.getInput(0), 0) != 1
                    || graphOutputs.contains(bn.getInput(0))) {
                continue;
            }
            OnnxMl.NodeProto conv = nodes.get(convAt);
            List<String> statistics = bn.getInputList().subList(1, 5);
            if (!statistics.stream().allMatch(initializers::containsKey) || !initializers.containsKey(conv.getInput(1))
                    || conv.getInputCount() > 2 && !initializers.containsKey(conv.getInput(2))) {
                continue;
            }
            float[] scale = OnnxConvNet.values(initializers.get(bn.getInput(1)));
            float[] shift = OnnxConvNet.values(initializers.get(bn.getInput(2)));
            float[] mean = OnnxConvNet.values(initializers.get(bn.getInput(3)));
            float[] var = OnnxConvNet.values(initializers.get(bn.getInput(4)));
            OnnxMl.AttributeProto epsilonAttribute = OnnxConvNet.attribute(bn, "epsilon");
            double epsilon = epsilonAttribute == null ? 1e-5 : epsilonAttribute.getF();
            OnnxMl.TensorProto weightTensor = initializers.get(conv.getInput(1));
            float[] weight = OnnxConvNet.values(weightTensor);
            int channels = scale.length;
            float[] bias = conv.getInputCount() > 2 ? OnnxConvNet.values(initializers.get(conv.getInput(2))) : new float[channels];
            int perChannel = weight.length / channels;
            float[] foldedWeight = new float[weight.length];
            float[] foldedBias = new float[channels];
            for (int c = 0; c < channels; c++) {
                double f = scale[c] / Math.sqrt(var[c] + epsilon);
                for (int k = 0; k < perChannel; k++) {
                    foldedWeight[c * perChannel + k] = (float) (weight[c * perChannel + k] * f);
                }
                foldedBias[c] = (float) ((bias[c] - mean[c]) * f + shift[c]);
            }
            String prefix = (bn.getName().isEmpty() ? "bn" + i : bn.getName()) + "_folded";
            added.add(tensor(prefix + "_weight", weightTensor.getDimsList(), foldedWeight));
            added.add(tensor(prefix + "_bias", List.of((long) channels), foldedBias));
            nodes.set(convAt, conv.toBuilder().clearInput().addInput(conv.getInput(0)).addInput(prefix + "_weight").addInput(prefix + "_bias")
                    .clearOutput().addOutput(bn.getOutput(0)).build());
            removed.add(i);
            folded++;
        }
        if (folded == 0) {
            return model;
        }
        OnnxMl.GraphProto.Builder out = g.toBuilder().clearNode();
        for (int i = 0; i < nodes.size(); i++) {
            if (!removed.contains(i)) {
                out.addNode(nodes.get(i));
            }
        }
        // initializers nothing reads any more (the unfolded weights and the statistics) are dropped
        Set<String> read = new HashSet<>();
        out.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        List<OnnxMl.TensorProto> kept = new ArrayList<>();
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            if (read.contains(t.getName())) {
                kept.add(t);
            }
        }
        kept.addAll(added);
        out.clearInitializer().addAllInitializer(kept);
        // old exporters list initializers as graph inputs too: keep only those still read
        List<OnnxMl.ValueInfoProto> inputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto in : g.getInputList()) {
            if (!initializers.containsKey(in.getName()) || read.contains(in.getName())) {
                inputs.add(in);
            }
        }
        out.clearInput().addAllInput(inputs);
        return model.toBuilder().setGraph(out).build();
    }

    private static OnnxMl.TensorProto tensor(String name, List<Long> dims, float[] values) {
        return OnnxMl.TensorProto.newBuilder().setName(name).addAllDims(dims).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(OnnxConvNet.rawData(values)).build();
    }
}
