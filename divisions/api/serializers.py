from rest_framework import serializers

from ..models import Division, Membership


class DivisionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent"]


class MembershipSerializer(serializers.ModelSerializer):
    division = DivisionSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["division", "role"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField(source="first_name")
    memberships = MembershipSerializer(many=True)
    entry = serializers.DictField(child=serializers.ListField(child=serializers.CharField(), allow_null=True))
